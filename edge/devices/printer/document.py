"""A printer-independent document: what a slip says, not how a printer is told to say it.

Slip layouts build these blocks; `layout` fits them to a paper width and `render` turns them
into ESC/POS. Pure data: the only foreign object is a PIL image inside `Picture`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL.Image import Image

Align = Literal["left", "center", "right"]
Scale = Literal[1, 2, 3]


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the paper; `scale` multiplies glyph width and height (GS !)."""

    text: str
    align: Align = "left"
    scale: Scale = 1
    bold: bool = False


@dataclass(frozen=True)
class Field:
    """`label：value`, continuation lines indented under the value."""

    label: str
    value: str
    bold: bool = False


@dataclass(frozen=True)
class Item:
    """A list entry: `marker text`, continuation lines indented under the text."""

    marker: str
    text: str


@dataclass(frozen=True)
class Rule:
    char: Literal["-", "=", "."] = "-"


@dataclass(frozen=True)
class Qr:
    """A QR code to follow the case (a URL or a case reference), centred."""

    data: str
    caption: str | None = None
    module_dots: int = 6


@dataclass(frozen=True)
class Picture:
    """An image already at print resolution (203 dpi); `copies` are laid side by side when
    the paper is wide enough, else one under another."""

    image: Image
    align: Align = "center"
    copies: int = 1
    gap_dots: int = 16
    caption: str | None = None


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Block = Text | Field | Item | Rule | Qr | Picture | Feed


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple[Block, ...]
    cut: bool = True  # cut at the end when the printer has a cutter; else feed to tear off

    def plain_text(self) -> str:
        """The words of the document, one block per line, for logs, previews and tests."""
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, Text):
                out.append(b.text)
            elif isinstance(b, Field):
                out.append(f"{b.label}：{b.value}")
            elif isinstance(b, Item):
                out.append(f"{b.marker}{b.text}")
            elif (isinstance(b, Qr) and b.caption) or (isinstance(b, Picture) and b.caption):
                out.append(b.caption)
        return "\n".join(out)
