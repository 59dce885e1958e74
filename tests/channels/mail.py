"""Test messages as bytes, the way they travel (CRLF line ends)."""


def message(
    message_id: str | None = "<ordine-1@anna.example>", subject: str = "Il mio ordine", body: str = ""
) -> bytes:
    lines = ["From: Anna Verdi <anna@example.it>", "To: assistenza@bottega.example", f"Subject: {subject}"]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += ["Content-Type: text/plain; charset=utf-8", "", body or "Buongiorno, dov'è il mio pacco?", ""]
    return "\r\n".join(lines).encode("utf-8")
