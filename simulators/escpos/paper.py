"""The virtual printer's print head: executes parsed ESC/POS onto a paper image.

Text is drawn in the printer's grid with a CJK font (GB18030 decoded), rasters are pasted
dot for dot, native QR codes are drawn with the `qrcode` library from the stored data, and a
cut (or the end of a job) closes the slip. Anything the parser did not know, text outside
Chinese mode, characters beyond the printer font, and lines wider than the paper are recorded
as errors or overflows; tests assert there are none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edge.devices.fonts import CELL, draw_cells
from edge.devices.printer import text as tx
from simulators.escpos.decoder import (
    Command,
    Cut,
    Parsed,
    Raster,
    StatusQuery,
    Symbol,
    Text,
    Unknown,
)

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

MARGIN = 16  # grey border around the paper in the PNG, so its edges show
DEFAULT_SPACING = 30


@dataclass
class Slip:
    number: int
    lines: list[str] = field(default_factory=list)
    qr_native: list[str] = field(default_factory=list)
    rasters: list[Image] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    overflows: list[str] = field(default_factory=list)
    cut: bool = False
    png: Image | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class Head:
    """Printer state plus the slip being printed."""

    def __init__(self, dots: int = 576, charset: tx.Charset = "gbk") -> None:
        self.dots = dots
        self.charset = charset
        self.done: list[Slip] = []
        self.queries: list[int] = []
        self._count = 0
        self._reset()
        self._new_slip()

    def _reset(self) -> None:
        self.align = 0
        self.bold = False
        self.scale_w = self.scale_h = 1
        self.chinese = False
        self.spacing = DEFAULT_SPACING
        self._line = bytearray()
        self._qr: dict[int, bytes] = {}

    def _new_slip(self) -> None:
        self._count += 1
        self.slip = Slip(self._count)
        self._strips: list[Image] = []
        self._printed = False

    def error(self, message: str) -> None:
        log.error("virtual printer: slip %d: %s", self.slip.number, message)
        self.slip.errors.append(message)

    # -- execution ----------------------------------------------------------------------------

    def run(self, items: list[Parsed]) -> None:
        for item in items:
            self.execute(item)

    def execute(self, item: Parsed) -> None:
        if isinstance(item, Text):
            self._line += item.data
        elif isinstance(item, Command):
            self._command(item)
        elif isinstance(item, Raster):
            self._flush_if_pending()
            self._raster(item)
        elif isinstance(item, Symbol):
            self._symbol(item)
        elif isinstance(item, Cut):
            self._flush_if_pending()
            self.slip.cut = True
            self.finish()
        elif isinstance(item, StatusQuery):
            self.queries.append(item.n)
        elif isinstance(item, Unknown):
            self.error(f"unknown command {item.data.hex(' ')} at byte {item.offset}")

    def _command(self, c: Command) -> None:
        name, arg = c.name, c.args[0] if c.args else 0
        if name == b"\n":
            self._print_line()
        elif name == b"\r":
            pass  # CR is ignored by printers in LF mode
        elif name == b"\x1b@":
            # every job starts with ESC @: on printers without a cutter it is the only
            # boundary between two slips on the roll
            self._flush_if_pending()
            if self._printed:
                self.finish()
            self._reset()
        elif name == b"\x1ba":
            if arg in (0, 1, 2, 48, 49, 50):
                self.align = arg % 48
            else:
                self.error(f"ESC a {arg}: invalid justification")
        elif name == b"\x1bE":
            self.bold = bool(arg & 1)
        elif name == b"\x1b3":
            self.spacing = arg
        elif name == b"\x1b2":
            self.spacing = DEFAULT_SPACING
        elif name == b"\x1bd":
            self._print_line(only_if_pending=True)
            self._blank(arg * self.spacing)
        elif name == b"\x1d!":
            self.scale_w, self.scale_h = (arg >> 4) + 1, (arg & 0x0F) + 1
            if self.scale_w > 8 or self.scale_h > 8:
                self.error(f"GS ! 0x{arg:02x}: size out of range")
        elif name == b"\x1c&":
            self.chinese = True
        elif name == b"\x1c.":
            self.chinese = False

    def _flush_if_pending(self) -> None:
        if self._line:
            self._print_line()

    def _decode(self, data: bytes) -> str:
        if not self.chinese:
            if any(b >= 0x80 for b in data):
                self.error(f"non-ASCII bytes outside Chinese mode: {data[:16].hex(' ')}")
            return data.decode("latin-1")
        try:
            s = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            self.error(f"invalid GB18030 text: {exc}")
            return data.decode("gb18030", errors="replace")
        bad = [ch for ch in s if not tx.printable(ch, self.charset)]
        if bad:
            self.error(f"characters outside the printer's {self.charset} font: {''.join(bad)}")
        return s

    def _print_line(self, only_if_pending: bool = False) -> None:
        if only_if_pending and not self._line:
            return
        from PIL import Image, ImageDraw

        s = self._decode(bytes(self._line))
        self._line.clear()
        self.slip.lines.append(s)
        pitch = max(self.spacing, CELL * self.scale_h)
        if not s:
            self._blank(pitch)
            return
        # the printer wraps what does not fit; our driver never should make it
        per_line = self.dots // (12 * self.scale_w)
        chunks, cur = [], ""
        for ch in s:
            if tx.width(cur + ch) > per_line:
                chunks.append(cur)
                cur = ""
            cur += ch
        chunks.append(cur)
        if len(chunks) > 1:
            self.slip.overflows.append(s)
        for chunk in chunks:
            w = tx.width(chunk) * 12 * self.scale_h
            im = Image.new("L", (w or 1, pitch), 255)
            draw_cells(ImageDraw.Draw(im), 0, 0, chunk, scale=self.scale_h, bold=self.bold)
            if self.scale_w != self.scale_h:
                im = im.resize((max(1, w * self.scale_w // self.scale_h), pitch))
            self._place(im)

    def _place(self, im: Image) -> None:
        from PIL import Image

        strip = Image.new("L", (self.dots, im.height), 255)
        room = max(0, self.dots - im.width)
        x = {0: 0, 1: room // 2, 2: room}[self.align]
        strip.paste(im.convert("L"), (x, 0))
        self._strips.append(strip)
        self._printed = True

    def _blank(self, height: int) -> None:
        from PIL import Image

        if height > 0:
            self._strips.append(Image.new("L", (self.dots, height), 255))

    def _raster(self, r: Raster) -> None:
        from PIL import Image, ImageOps

        if r.mode not in (0, 48):
            self.error(f"GS v 0 mode {r.mode}: only normal density is decoded")
        width = r.width_bytes * 8
        if width > self.dots:
            self.error(f"raster {width} dots wide on {self.dots}-dot paper")
        img = ImageOps.invert(Image.frombytes("1", (width, r.height), r.data).convert("L"))
        self.slip.rasters.append(img.convert("1"))
        self._place(img)

    def _symbol(self, s: Symbol) -> None:
        if s.cn != 49:
            self.error(f"GS ( k cn={s.cn}: only QR codes (cn 49) are decoded")
            return
        if s.fn in (65, 67, 69):  # model, module size, error correction
            self._qr[s.fn] = s.params
        elif s.fn == 80:  # store data (m=48, then the bytes)
            self._qr[80] = s.params[1:]
        elif s.fn == 81:  # print the stored symbol
            self._flush_if_pending()
            self._print_qr()
        else:
            self.error(f"GS ( k fn={s.fn}: QR function not decoded")

    def _print_qr(self) -> None:
        import qrcode
        from qrcode import constants

        data = self._qr.get(80)
        if data is None:
            self.error("GS ( k print without stored QR data")
            return
        text = data.decode("utf-8")
        module = self._qr.get(67, b"\x03")[0]
        ec = {48: constants.ERROR_CORRECT_L, 49: constants.ERROR_CORRECT_M}.get(
            self._qr.get(69, b"0")[0], constants.ERROR_CORRECT_Q
        )
        code = qrcode.QRCode(error_correction=ec, box_size=module, border=0)
        code.add_data(text)
        code.make(fit=True)
        self.slip.qr_native.append(text)
        self._place(code.make_image().get_image().convert("L"))

    def finish(self) -> Slip | None:
        """Close the current slip (at a cut or the end of a job); None if nothing printed."""
        from PIL import Image

        self._flush_if_pending()
        slip = self.slip
        has_content = self._printed or slip.errors
        if has_content:
            h = sum(s.height for s in self._strips)
            png = Image.new("L", (self.dots + 2 * MARGIN, h + 2 * MARGIN), 200)
            png.paste(255, (MARGIN, MARGIN, MARGIN + self.dots, MARGIN + h))
            y = MARGIN
            for s in self._strips:
                png.paste(s, (MARGIN, y))
                y += s.height
            slip.png = png
            self.done.append(slip)
        else:
            self._count -= 1
        self._new_slip()
        return slip if has_content else None
