"""Laid-out slips to ESC/POS, written through a python-escpos printer object.

Only a few commands are used, all spelled here, and the virtual printer decodes exactly these:
ESC @, FS & (Chinese mode), ESC 3 n (line spacing), ESC a n, ESC E n, GS ! n, LF, ESC d n,
GS v 0 (raster), GS ( k (native QR, via python-escpos), GS V (cut, via python-escpos).
Every style is set explicitly before the text it applies to and reset at the end, because
`ESC @`-less printers keep the last job's styles and ESC ! does not reset GS !.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edge.devices.printer import raster
from edge.devices.printer import text as tx
from edge.devices.printer.document import Align, Document
from edge.devices.printer.escpos_import import ensure_escpos
from edge.devices.printer.layout import Blank, ImageRow, Laid, Line, Paper, QrCode, layout

if TYPE_CHECKING:
    from PIL.Image import Image

FS_CHINESE_ON = b"\x1c\x26"
LINE_SPACING = 30  # dots; set explicitly since the power-on default differs between models
BAND_ROWS = 256  # raster rows per GS v 0: small enough for the buffers of cheap printers
ALIGN = {"left": 0, "center": 1, "right": 2}


def esc_align(align: Align) -> bytes:
    return b"\x1ba" + bytes([ALIGN[align]])


def esc_bold(on: bool) -> bytes:
    return b"\x1bE" + bytes([1 if on else 0])


def gs_size(scale: int) -> bytes:
    return b"\x1d!" + bytes([(scale - 1) << 4 | (scale - 1)])


def gs_v0(img: Image) -> bytes:
    """GS v 0 raster bit image, sent in bands. python-escpos converts the whole image once
    (dithering photos), so the bands join without a seam in the dither pattern."""
    from escpos.image import EscposImage

    conv = EscposImage(img)
    wb, data = conv.width_bytes, conv.to_raster_format()
    out = []
    for top in range(0, conv.height, BAND_ROWS):
        rows = min(BAND_ROWS, conv.height - top)
        header = b"\x1dv0\x00" + wb.to_bytes(2, "little") + rows.to_bytes(2, "little")
        out.append(header + data[top * wb : (top + rows) * wb])
    return b"".join(out)


class Renderer:
    """Writes one document to an `escpos.Escpos` object (a Dummy: see `encode`)."""

    def __init__(self, p: Any, paper: Paper, *, cut: bool) -> None:
        self.p = p
        self.paper = paper
        self.cut = cut
        self._align: Align | None = None
        self._bold: bool | None = None
        self._scale: int | None = None

    def _style(self, align: Align, bold: bool, scale: int) -> None:
        cmd = b""
        if align != self._align:
            cmd += esc_align(align)
        if bold != self._bold:
            cmd += esc_bold(bold)
        if scale != self._scale:
            cmd += gs_size(scale)
        self._align, self._bold, self._scale = align, bold, scale
        if cmd:
            self.p._raw(cmd)

    def begin(self) -> None:
        self.p.hw("INIT")  # ESC @
        self.p._raw(FS_CHINESE_ON + b"\x1b3" + bytes([LINE_SPACING]))
        self._style("left", False, 1)

    def end(self, cut: bool) -> None:
        self._style("left", False, 1)  # leave the printer as ESC @ would, for the next job
        if cut and self.cut:
            self.p.cut()  # ESC d 6 (past the blade), then GS V; per the escpos profile
        else:
            self.p.print_and_feed(4)  # enough to tear off below the last line

    def line(self, line: Line) -> None:
        if line.raster:
            self._style("left", False, 1)
            self.image(raster.text_line_image(line, self.paper.dots, LINE_SPACING))
            return
        self._style(line.align, line.bold, line.scale)
        self.p._raw(tx.encode(line.text) + b"\n")

    def image(self, img: Image) -> None:
        self._style("left", False, 1)  # rasters are pre-positioned; see raster.centred
        self.p._raw(gs_v0(img))

    def qr(self, code: QrCode) -> None:
        module = raster.fit_qr_module(code.data, code.module_dots, self.paper.dots)
        if code.native:
            from escpos.constants import QR_ECLEVEL_M

            self._style("center", False, 1)
            self.p.qr(code.data, ec=QR_ECLEVEL_M, size=module, native=True)
            self.p._raw(b"\n")
        else:
            self.image(raster.centred(raster.qr_image(code.data, module), self.paper.dots))

    def item(self, item: Laid) -> None:
        if isinstance(item, Line):
            self.line(item)
        elif isinstance(item, ImageRow):
            self.image(raster.row_image(item, self.paper.dots))
        elif isinstance(item, QrCode):
            self.qr(item)
        elif isinstance(item, Blank):
            self._style("left", False, 1)
            self.p._raw(b"\n" * item.lines)

    def document(self, doc: Document) -> None:
        self.begin()
        for item in layout(doc, self.paper):
            self.item(item)
        self.end(doc.cut)


def encode(doc: Document, paper: Paper, *, escpos_profile: str, cut: bool) -> bytes:
    """The whole job as bytes, built before anything is sent: a layout or font error then
    leaves the printer untouched instead of half a slip on the paper."""
    ensure_escpos()
    from escpos.printer import Dummy

    buf = Dummy(profile=escpos_profile)
    Renderer(buf, paper, cut=cut).document(doc)
    data: bytes = buf.output
    buf.close()
    return data
