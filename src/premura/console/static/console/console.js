// Keyboard map of the console: / search, j/k move, Enter open, r reply, n note, g i inbox, ? help.
(function () {
  "use strict";
  let pendingG = false;

  function rows() { return Array.from(document.querySelectorAll("tr.case-row")); }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    let index = all.findIndex((row) => row.classList.contains("selected"));
    if (index >= 0) all[index].classList.remove("selected");
    index = Math.min(all.length - 1, Math.max(0, index + step));
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  // The header's forms (language, availability) come back to the page as it is now. Filters and
  // pages change the address through htmx (hx-push-url) after the header was rendered, so the
  // `next` written in the page may be stale; the server still refuses other hosts.
  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("input[data-current-url]").forEach(function (input) {
      input.value = window.location.pathname + window.location.search;
    });
  });

  // A refused action (422) answers with its form, the error beside it and the text kept: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const focus = (id) => { const el = document.getElementById(id); if (el) { el.focus(); event.preventDefault(); } };
    if (pendingG) {
      pendingG = false;
      if (event.key === "i") { window.location.href = document.querySelector(".brand").href; }
      return;
    }
    switch (event.key) {
      case "/": focus("search-box"); break;
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": {
        const selected = document.querySelector("tr.case-row.selected");
        if (selected) window.location.href = selected.dataset.href;
        break;
      }
      case "r": focus("reply-body"); break;
      case "n": focus("note-body"); break;
      case "g": pendingG = true; break;
      case "?": { const help = document.getElementById("keys"); if (help) help.showModal(); break; }
    }
  });
})();
