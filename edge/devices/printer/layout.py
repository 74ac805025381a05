"""Fit a Document to a paper width: wrapped lines, raster decisions, image rows. Pure code.

Font A is 12 dots per ASCII column, so 58 mm paper (384 dots) has 32 columns and 80 mm paper
(576 dots) has 48; GS ! scale s divides the columns by s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from edge.devices.errors import LayoutError
from edge.devices.printer import text as tx
from edge.devices.printer.document import (
    Align,
    Document,
    Feed,
    Field,
    Item,
    Picture,
    Qr,
    Rule,
    Scale,
    Text,
)

if TYPE_CHECKING:
    from PIL.Image import Image

COLUMN_DOTS = 12


@dataclass(frozen=True)
class Line:
    text: str
    align: Align = "left"
    scale: Scale = 1
    bold: bool = False
    raster: bool = False  # the printer's font lacks a character: send the line as an image


@dataclass(frozen=True)
class ImageRow:
    images: tuple[Image, ...]
    align: Align
    gap_dots: int
    pad_below: int = 0  # white rows under the row, so stacked copies can be cut apart


@dataclass(frozen=True)
class QrCode:
    data: str
    module_dots: int
    native: bool


@dataclass(frozen=True)
class Blank:
    lines: int


Laid = Line | ImageRow | QrCode | Blank


@dataclass(frozen=True)
class Paper:
    dots: int  # printable dots per line
    charset: tx.Charset = "gbk"
    native_qr: bool = False

    @property
    def cols(self) -> int:
        return self.dots // COLUMN_DOTS


def _lines(
    text: str, paper: Paper, *, align: Align = "left", scale: Scale = 1, bold: bool = False
) -> list[Line]:
    cols = paper.cols // scale
    return [
        Line(s, align, scale, bold, raster=not tx.printable_text(s, paper.charset))
        for s in tx.wrap(tx.clean(text), cols)
    ]


def _hanging(prefix: str, body: str, paper: Paper, bold: bool = False) -> list[Line]:
    prefix, body = tx.clean(prefix), tx.clean(body)
    indent = tx.width(prefix)
    if indent > paper.cols // 2:  # a long label: put the value under it instead
        return _lines(prefix, paper, bold=bold) + [
            Line(s, raster=not tx.printable_text(s, paper.charset))
            for s in tx.wrap(body, paper.cols, indent=2, first_cols=paper.cols)
        ]
    wrapped = tx.wrap(body, paper.cols, indent=indent, first_cols=paper.cols - indent)
    wrapped[0] = prefix + wrapped[0]
    return [Line(s, bold=bold, raster=not tx.printable_text(s, paper.charset)) for s in wrapped]


def _image_rows(pic: Picture, paper: Paper) -> list[ImageRow]:
    w = pic.image.width
    if w > paper.dots:
        raise LayoutError(f"image is {w} dots wide; the paper has {paper.dots}")
    per_row = max(1, (paper.dots + pic.gap_dots) // (w + pic.gap_dots))
    rows = []
    left = pic.copies
    while left > 0:
        n = min(per_row, left)
        left -= n
        rows.append(
            ImageRow((pic.image,) * n, pic.align, pic.gap_dots, pic.gap_dots if left else 0)
        )
    return rows


def layout(doc: Document, paper: Paper) -> list[Laid]:
    out: list[Laid] = []
    for block in doc.blocks:
        if isinstance(block, Text):
            out += _lines(block.text, paper, align=block.align, scale=block.scale, bold=block.bold)
        elif isinstance(block, Field):
            out += _hanging(f"{block.label}：", block.value, paper, block.bold)
        elif isinstance(block, Item):
            out += _hanging(block.marker, block.text, paper)
        elif isinstance(block, Rule):
            out.append(Line(block.char * paper.cols))
        elif isinstance(block, Qr):
            out.append(QrCode(block.data, block.module_dots, paper.native_qr))
            if block.caption:
                out += _lines(block.caption, paper, align="center")
        elif isinstance(block, Picture):
            out += _image_rows(block, paper)
            if block.caption:
                out += _lines(block.caption, paper, align=block.align)
        elif isinstance(block, Feed):
            out.append(Blank(block.lines))
    return out


def preview(doc: Document, paper: Paper) -> str:
    """The slip as plain text in the printer's columns (images and QR codes as markers)."""
    out = []
    for item in layout(doc, paper):
        if isinstance(item, Line):
            room = paper.cols // item.scale - tx.width(item.text)
            pad = {"left": 0, "center": room // 2, "right": room}[item.align]
            out.append(" " * pad + item.text)
        elif isinstance(item, QrCode):
            out.append(f"[QR {item.data}]")
        elif isinstance(item, ImageRow):
            out.append(f"[{len(item.images)} image(s)]")
        else:
            out.extend([""] * item.lines)
    return "\n".join(out)
