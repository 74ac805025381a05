"""Images the printer receives as GS v 0 rasters: text lines the font lacks, QR codes, photo rows.

Every image here is mode "1" or "L", black ink on white, exactly as wide as it will print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge.devices.fonts import CELL, draw_cells
from edge.devices.printer import text as tx
from edge.devices.printer.layout import COLUMN_DOTS, ImageRow, Line

if TYPE_CHECKING:
    from PIL.Image import Image


def line_pitch(scale: int, spacing: int) -> int:
    """Dots the paper advances for one text line: the spacing, or the glyph if taller."""
    return max(spacing, CELL * scale)


def text_line_image(line: Line, dots: int, spacing: int) -> Image:
    """A full-width image of one text line, placed as the printer would place the text."""
    from PIL import Image, ImageDraw

    w = tx.width(line.text) * COLUMN_DOTS * line.scale
    x = {"left": 0, "center": (dots - w) // 2, "right": dots - w}[line.align]
    im = Image.new("L", (dots, line_pitch(line.scale, spacing)), 255)
    draw_cells(ImageDraw.Draw(im), max(0, x), 0, line.text, scale=line.scale, bold=line.bold)
    return im.point(lambda v: 255 if v >= 128 else 0).convert("1")


def qr_image(data: str, module_dots: int, *, border: int = 2) -> Image:
    """The QR code as an image; error correction M survives a smudged thermal print."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=module_dots, border=border)
    qr.add_data(data)
    qr.make(fit=True)
    img: Image = qr.make_image(fill_color="black", back_color="white").get_image()
    return img.convert("1")


def fit_qr_module(data: str, module_dots: int, dots: int) -> int:
    """Shrink the module size until the code fits the paper (long URLs on 58 mm paper)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    modules = int(qr.modules_count) + 4  # two-module border on each side
    return max(1, min(module_dots, dots // modules))


def row_image(row: ImageRow, dots: int) -> Image:
    """Copies side by side, aligned on a strip as wide as the paper."""
    from PIL import Image

    imgs = [im.convert("L") for im in row.images]
    w = sum(im.width for im in imgs) + row.gap_dots * (len(imgs) - 1)
    h = max(im.height for im in imgs) + row.pad_below
    x = {"left": 0, "center": (dots - w) // 2, "right": dots - w}[row.align]
    strip = Image.new("L", (dots, h), 255)
    for im in imgs:
        strip.paste(im, (max(0, x), 0))
        x += im.width + row.gap_dots
    return strip


def centred(img: Image, dots: int) -> Image:
    """Pad an image on the left so it prints centred, without relying on ESC a for rasters
    (printers disagree on whether justification applies to GS v 0)."""
    from PIL import Image

    x = max(0, (dots - img.width) // 2)
    out = Image.new("L", (x + img.width, img.height), 255)
    out.paste(img.convert("L"), (x, 0))
    return out
