"""What the customer wrote this time: quoted history and signatures stripped for display.

`visible_text` works on plain text, `visible_html` on sanitised HTML. The full text stays one click
away in the console: these only decide what is shown first, so when in doubt they keep a line.

Rules (plain text), for the clients of Italian, English and German customers:

- a line quoted with ">" is dropped; the attribution that introduces a ">" block ("Il giorno ... ha
  scritto:", "On ... wrote:" also when Gmail wraps it over two lines, "Am ... schrieb ...:") is
  dropped with it, and the text after the block is kept: bottom-posted and interleaved replies keep
  every line the customer typed;
- an attribution followed by unquoted text, an Outlook-style header block ("Da:/Inviato:",
  "From:/Sent:", "Von:/Gesendet:", also Notes' "Da:/A:/Data:"), an "-----Original Message-----" /
  "----Messaggio originale----" / "-----Ursprüngliche Nachricht-----" separator, or Outlook's line of
  underscores, starts the quoted history of a top-posted reply: it and everything after are dropped;
- the "-- " signature delimiter drops the signature (everything after it);
- "Inviato da iPhone" / "Sent from my iPhone" / "Von meinem iPhone gesendet" lines are dropped;
- a forwarded message ("---------- Forwarded message ---------") is kept: it is what was sent.

We do not use mail-parser-reply: it cuts at the first attribution (losing interleaved replies),
treats "- item" and "Thanks," lines as the start of a signature (cutting a customer's list), and
knows one Italian header layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from .parse import QUOTE_CLASSES, sanitize_html

__all__ = ["visible_text", "visible_html", "LANGUAGES"]

_ATTRIBUTION = {
    "it": [
        r"Il\s.+\sha\s+scritto\s*:",  # Gmail, Apple Mail, Thunderbird, Roundcube, Libero app
        r".+\sha\s+scritto\s*:",  # "Mario Rossi <m@x> ha scritto:"
    ],
    "en": [
        r"On\s.+\swrote\s*:",
        r".+\swrote\s*:",
    ],
    "de": [
        r"Am\s.+\sschrieb\s.+:",
        r".+\sschrieb\s+am\s.+:",
        r".+\sschrieb\s*:",
    ],
}
_HEADER_FROM = {"it": r"Da", "en": r"From", "de": r"Von"}
_HEADER_OTHER = {
    "it": r"Inviato|Data|A|Cc|Oggetto|Ogg|Inviato\s+il",
    "en": r"Sent|Date|To|Cc|Subject",
    "de": r"Gesendet|Datum|An|Cc|Betreff",
}
_SEPARATOR = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:Original\s+Message|Messaggio\s+originale|Ursprüngliche\s+Nachricht|Original-Nachricht
                  |Reply\s+message|Messaggio\s+di\s+risposta)\s*-{2,}
      | _{20,}
      | -{2,}\s*Below\s+this\s+line\s+is\s+a\s+copy\s+of\s+the\s+message\.?   # qmail bounce
      | -{2,}\s*This\s+is\s+a\s+copy\s+of\s+the\s+message.*                    # Exim bounce
      | -{3,}\s*.+\s(?:wrote|ha\s+scritto|schrieb)\s*:?\s*-{3,}   # HCL Notes: -----Mario Rossi wrote: -----
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_MOBILE = re.compile(
    r"""^\s*(?:
        Inviato\s+da\s+(?:iPhone|iPad|(?:il\s+)?mio\s+.{1,40}|Libero\s+Mail.*|Yahoo\s+Mail.*|Outlook.*|Virgilio.*)
      | Inviato\s+dal\s+mio\s+.{1,40}
      | Ottieni\s+Outlook\s+per\s+.{1,20}
      | Sent\s+from\s+my\s+.{1,40} | Sent\s+from\s+(?:Yahoo\s+Mail|Outlook|Mail\s+for\s+Windows).*
      | Get\s+Outlook\s+for\s+.{1,20}
      | Von\s+meinem\s+.{1,40}\s+gesendet | Gesendet\s+von\s+(?:meinem\s+)?.{1,40}
      | Outlook\s+für\s+.{1,20}\s+beziehen
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SIGNATURE = re.compile(r"^--\s?$")

LANGUAGES = tuple(_ATTRIBUTION)


def _compile(languages: Iterable[str]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    langs = list(languages)
    unknown = [lang for lang in langs if lang not in _ATTRIBUTION]
    if unknown:
        raise ValueError(f"no quote rules for language(s) {unknown}; known: {list(_ATTRIBUTION)}")
    attribution = "|".join(p for lang in langs for p in _ATTRIBUTION[lang])
    froms = "|".join(_HEADER_FROM[lang] for lang in langs)
    others = "|".join(_HEADER_OTHER[lang] for lang in langs)
    return (
        re.compile(rf"^\s*(?:{attribution})\s*$", re.IGNORECASE),
        re.compile(rf"^\s*\*?(?:{froms})\s*:\*?\s*\S", re.IGNORECASE),
        re.compile(rf"^\s*\*?(?:{others})\s*:\*?(?:\s|$)", re.IGNORECASE),
    )


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _next_content(lines: list[str], start: int) -> int:
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def visible_text(text: str, *, languages: Iterable[str] = ("it", "en", "de")) -> str:
    """The reply as the customer typed it this time, without quoted history, attribution lines,
    signature or "Sent from my iPhone". Never empty when `text` is not: a message that is all quote
    is returned whole (stripped), so nothing the customer sent disappears from view."""
    attribution, header_from, header_other = _compile(languages)
    attribution_start = re.compile(r"^\s*(?:Il|On|Am)\s", re.IGNORECASE)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _SIGNATURE.match(line.rstrip("\n")) or _SEPARATOR.match(line):
            break
        # An attribution, on one line or wrapped over two (Gmail wraps long ones before the address).
        span = 0
        if stripped and not _is_quoted(line):
            if attribution.match(line):
                span = 1
            elif i + 1 < len(lines) and lines[i + 1].strip() and attribution.match(f"{line} {lines[i + 1]}"):
                span = 2
        if span:
            after = _next_content(lines, i + span)
            if after < len(lines) and _is_quoted(lines[after]):
                i = after  # drop the attribution; the quoted block goes below
                continue
            if after >= len(lines):
                break
            # Unquoted history after a dated attribution ("On 3 Mar 2025 ..., X wrote:"): cut here.
            # An undated "X wrote:" followed by the customer's own text is the customer's text.
            joined = " ".join(lines[i : i + span])
            if attribution_start.match(joined) and re.search(r"\d", joined):
                break
            kept.extend(ln.rstrip() for ln in lines[i : i + span])
            i += span
            continue
        if header_from.match(line):
            window = [ln for ln in lines[i + 1 : i + 6] if ln.strip()]
            if sum(1 for ln in window[:4] if header_other.match(ln)) >= 2:
                break
        if _is_quoted(line):
            i += 1
            continue
        if _MOBILE.match(line):
            i += 1
            continue
        kept.append(line.rstrip())
        i += 1
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    if not result.strip():
        return text.replace("\r\n", "\n").strip()
    return result


# --- HTML ----------------------------------------------------------------------------------------

_DROP_SUBTREE_CLASSES = QUOTE_CLASSES - {"gmail_signature", "moz-signature"}
_CUT_IDS = frozenset({"divRplyFwdMsg", "appendonsend", "zwchr", "mail-editor-reference-message-container"})
_VOID = frozenset({"br", "hr", "img", "wbr", "col", "area", "input", "meta", "link", "source"})


class _QuoteRemover(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.drop_depth: int | None = None  # stack depth where a dropped subtree started
        self.cut = False

    def _drops(self, tag: str, attrs: dict[str, str | None]) -> bool:
        classes = set((attrs.get("class") or "").split())
        return (
            tag == "blockquote"
            or bool(classes & _DROP_SUBTREE_CLASSES)
            or attrs.get("data-marker") == "__QUOTED_TEXT__"
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        attr_map = dict(attrs)
        if attr_map.get("id") in _CUT_IDS:
            self.cut = True
            return
        if tag in _VOID:
            if self.drop_depth is None:
                self.out.append(self.get_starttag_text() or "")
            return
        self.stack.append(tag)
        if self.drop_depth is None and self._drops(tag, attr_map):
            self.drop_depth = len(self.stack)
        if self.drop_depth is None:
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        if dict(attrs).get("id") in _CUT_IDS:
            self.cut = True
            return
        if self.drop_depth is None:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.cut or tag in _VOID:
            return
        if tag in self.stack:
            while self.stack:
                top = self.stack.pop()
                if self.drop_depth is None:
                    self.out.append(f"</{top}>")
                if self.drop_depth is not None and len(self.stack) < self.drop_depth:
                    self.drop_depth = None
                if top == tag:
                    break

    def _emit(self, raw: str) -> None:
        if not self.cut and self.drop_depth is None:
            self.out.append(raw)

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self._emit(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._emit(f"&#{name};")


def visible_html(html: str, *, allow_remote_images: bool = False) -> str:
    """HTML without quoted history: <blockquote>, Gmail's gmail_quote, Thunderbird's cite prefix,
    Yahoo's yahoo_quoted, Zimbra's quoted-text marker, and from Outlook's divRplyFwdMsg /
    appendonsend (and Zimbra's zwchr rule) to the end. The result is sanitised again (`sanitize_html`),
    so it is safe to show whatever the input was; pass `ParsedEmail.html`, whose quote markers the
    sanitiser kept. When nothing would be left, the sanitised input is returned whole."""
    remover = _QuoteRemover()
    try:
        remover.feed(html)
        remover.close()
        stripped = "".join(remover.out)
    except Exception:
        stripped = html
    result = sanitize_html(stripped, allow_remote_images=allow_remote_images)
    if not re.sub(r"<[^>]*>|&nbsp;|\s", "", result):
        return sanitize_html(html, allow_remote_images=allow_remote_images)
    return result
