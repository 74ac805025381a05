"""Find CJK fonts on disk and draw text in the printer's character grid.

The unit rasterises lines its printer cannot print from text bytes (rare name characters), and
the virtual printer draws every text line; both use the same grid (12x24-dot ASCII cells,
24x24-dot Hanzi cells) so a raster line lines up with printed text.

Fonts come from Debian packages (fonts-wqy-zenhei by default; fonts-noto-cjk and
fonts-hanazono add coverage of rarer characters) or from BIANMIN_CJK_FONT.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.devices.errors import FontMissing

if TYPE_CHECKING:
    from PIL.ImageDraw import ImageDraw

FONT_ENV = "BIANMIN_CJK_FONT"
SEARCH_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
# In order of preference; later ones only fill in characters the earlier ones lack.
PATTERNS = (
    "wqy-zenhei.tt[cf]",
    "wqy-microhei.tt[cf]",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSerifCJK-Regular.ttc",
    "SourceHanSans*.tt[cf]",
    "uming.ttc",
    "DroidSansFallbackFull.ttf",
    "HanaMinA.ttf",
    "HanaMinB.ttf",  # CJK Extension B and later: the rarest name characters
)
CELL = 24  # dots: the height of a printer glyph, and the width of a Hanzi


@cache
def cjk_font_paths() -> tuple[Path, ...]:
    found: list[Path] = []
    env = os.environ.get(FONT_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise FontMissing(f"{FONT_ENV}={env} is not a font file")
        found.append(path)
    for pattern in PATTERNS:
        for root in SEARCH_DIRS:
            if Path(root).is_dir():
                found.extend(sorted(Path(root).rglob(pattern)))
    if not found:
        raise FontMissing(
            "no CJK font found under /usr/share/fonts: install the Debian package "
            f"fonts-wqy-zenhei (apt-get install -y fonts-wqy-zenhei), or set {FONT_ENV}"
        )
    return tuple(dict.fromkeys(found))


class CjkFonts:
    """A chain of CJK fonts at one pixel size, picking per character the first that has it."""

    def __init__(self, size: int, paths: tuple[Path, ...] | None = None) -> None:
        from PIL import ImageFont

        self.size = size
        self._fonts: list[Any] = [
            ImageFont.truetype(str(p), size) for p in (paths or cjk_font_paths())
        ]
        self._choice: dict[str, Any] = {}
        self._notdef = [self._bitmap(f, "\U000f0000") for f in self._fonts]  # private use

    def _bitmap(self, font: Any, ch: str) -> bytes:
        from PIL import Image, ImageDraw

        im = Image.new("L", (self.size * 2, self.size * 2), 0)
        ImageDraw.Draw(im).text((0, 0), ch, font=font, fill=255)
        return im.tobytes()

    def has_glyph(self, ch: str) -> bool:
        return self.font_for(ch) is not None

    def font_for(self, ch: str) -> Any | None:
        if ch in self._choice:
            return self._choice[ch]
        choice = None
        if ch.isspace():
            choice = self._fonts[0]
        else:
            for font, notdef in zip(self._fonts, self._notdef, strict=True):
                if self._bitmap(font, ch) != notdef:  # drawn as .notdef: the font lacks it
                    choice = font
                    break
        self._choice[ch] = choice
        return choice


@cache
def fonts_at(size: int) -> CjkFonts:
    return CjkFonts(size)


def draw_cells(
    draw: ImageDraw, x: int, y: int, text: str, *, scale: int = 1, bold: bool = False
) -> int:
    """Draw `text` in the printer grid with its top-left at (x, y); return the end x.

    Each character is centred in its cell (12 or 24 dots wide, times `scale`), as a
    Chinese-mode printer prints it. Characters no font has are drawn as a box."""
    fonts = fonts_at(CELL * scale)
    h = CELL * scale
    for ch in text:
        w = (12 if ord(ch) < 0x80 else 24) * scale
        if not ch.isspace():
            font = fonts.font_for(ch)
            if font is None:
                draw.rectangle((x + 2, y + 2, x + w - 3, y + h - 3), outline=0)
            else:
                draw.text(
                    (x + w / 2, y + h / 2),
                    ch,
                    font=font,
                    fill=0,
                    anchor="mm",
                    stroke_width=1 if bold else 0,
                    stroke_fill=0,
                )
        x += w
    return x
