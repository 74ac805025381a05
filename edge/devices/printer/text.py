"""Chinese text for ESC/POS printers: cleaning, GB18030 bytes, what the font can print, wrapping.

Rules (see docs/devices.md):
- Text is always sent as GB18030 bytes by us, never through python-escpos's text(), whose
  encoding depends on a regex and sends punctuation-only lines through a code page.
- In Chinese mode every non-ASCII character is one double-width (24-dot) glyph and every ASCII
  character a single-width (12-dot) one, so widths follow the bytes, not Unicode's East Asian
  width: `·` and `—` are double-width on the printer.
- `¥` (U+00A5) is a 4-byte GB18030 sequence that GBK fonts print as junk: it becomes `￥`.
- Characters the printer's font lacks (profile `charset`) are printed by rasterising the line.
- Control characters are dropped, so a name typed by a person cannot inject printer commands.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Charset = Literal["gb2312", "gbk", "gb18030"]

REPLACEMENTS = {
    "\u00a5": "\uffe5",  # ¥ -> ￥ (A3A4 in GBK)
    "\u00a0": " ",
    "\t": " ",
    "\u2022": "\u00b7",  # • is not in GBK; · is (A1A4)
}
# Kinsoku (禁则): never start a line with these, never end one with the openers.
NO_LINE_START = set("，。、；：？！）》」』】〉”’%,.;:?!)]}·…—")
NO_LINE_END = set("（《「『【〈“‘([{")


def clean(text: str) -> str:
    out = []
    for ch in text:
        ch = REPLACEMENTS.get(ch, ch)
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != " ":
            continue  # controls, format chars, surrogates, private use, unassigned
        out.append(ch)
    return "".join(out)


def encode(text: str) -> bytes:
    """The bytes a Chinese-mode printer receives for `text` (call `clean` first)."""
    return text.encode("gb18030")


def char_width(ch: str) -> int:
    return 1 if ord(ch) < 0x80 else 2


def width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def printable(ch: str, charset: Charset) -> bool:
    """Whether a printer whose font covers `charset` prints `ch` from text bytes."""
    if ord(ch) < 0x80:
        return ch.isprintable()
    if charset == "gb18030":
        return True
    code = ch.encode("gb18030")
    if charset == "gb2312" and ch in "·—":
        return True  # A1A4, A1AA: Python's gb2312 codec maps them to ・ and ―, GB18030 to these
    try:
        native = ch.encode(charset)
    except UnicodeEncodeError:
        return False
    # Python's gbk codec knows a few cp936 extras (e.g. € as 0x80) that GB18030 puts
    # elsewhere; we send GB18030 bytes, so the two must agree for the font to have the glyph.
    return native == code


def printable_text(text: str, charset: Charset) -> bool:
    return all(printable(ch, charset) for ch in text)


def _tokens(text: str) -> list[str]:
    """Units that must not be split: ASCII words/numbers/URLs; single CJK characters."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ord(ch) < 0x80 and ch != " ":
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    # keep closing punctuation with what precedes it, and openers with what follows
    merged: list[str] = []
    for tok in tokens:
        if merged and (tok[0] in NO_LINE_START or merged[-1][-1] in NO_LINE_END):
            merged[-1] += tok
        else:
            merged.append(tok)
    return merged


def wrap(text: str, cols: int, *, indent: int = 0, first_cols: int | None = None) -> list[str]:
    """Greedy wrap to `cols` printer columns; continuation lines get `indent` spaces.

    `first_cols` is the room on the first line when something precedes it (a label)."""
    if cols <= indent + 1:
        raise ValueError(f"{cols} columns cannot hold an indent of {indent}")
    lines: list[str] = []
    room = cols if first_cols is None else first_cols
    line = ""
    for tok in _tokens(text):
        while width(tok) > (cols - indent):  # longer than any line (a long URL): hard-split
            take = room - width(line)
            head = ""
            for ch in tok:
                if width(head + ch) > take:
                    break
                head += ch
            if not head:  # no room left on this line
                lines.append(line.rstrip())
                line, room = " " * indent, cols
                continue
            lines.append((line + head).rstrip())
            tok = tok[len(head) :]
            line, room = " " * indent, cols
        if width(line) + width(tok) > room:
            lines.append(line.rstrip())
            line, room = " " * indent, cols
            tok = tok.lstrip(" ")
        line += tok
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines
