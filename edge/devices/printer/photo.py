"""ID photos (一寸 / 二寸) printed as raster images, so residents need not bring photos.

At 203 dpi (8 dots/mm): 1-inch is 25x35 mm = 200x280 dots, 2-inch is 35x49 mm = 280x392.
The camera module supplies the portrait; `fit_id_photo` crops and scales it to print size.
Thermal heads print black or nothing, so the photo is dithered (Floyd-Steinberg, by Pillow's
mode "1" conversion in python-escpos) on the way out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from edge.devices.errors import LayoutError
from edge.devices.printer.document import Document, Feed, Picture, Text

if TYPE_CHECKING:
    from PIL.Image import Image

PhotoKind = Literal["1inch", "2inch"]
DOTS_PER_MM = 8
SIZES_MM: dict[PhotoKind, tuple[int, int]] = {"1inch": (25, 35), "2inch": (35, 49)}
NAMES: dict[PhotoKind, str] = {"1inch": "一寸", "2inch": "二寸"}


def photo_size(kind: PhotoKind) -> tuple[int, int]:
    w, h = SIZES_MM[kind]
    return w * DOTS_PER_MM, h * DOTS_PER_MM


def fit_id_photo(img: Image, kind: PhotoKind) -> Image:
    """Centre-crop to the photo's aspect ratio and scale to print size (greyscale)."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    size = photo_size(kind)
    return ImageOps.fit(img.convert("L"), size, PILImage.Resampling.LANCZOS, centering=(0.5, 0.4))


def framed(img: Image) -> Image:
    """A 1-dot black frame around the photo: the cutting line for scissors."""
    from PIL import ImageOps

    return ImageOps.expand(img.convert("L"), border=1, fill=0)


def photo_document(img: Image, kind: PhotoKind, *, copies: int = 2) -> Document:
    """A sheet of ID photos; `img` must already be at print size (see fit_id_photo)."""
    expected = photo_size(kind)
    if img.size != expected:
        raise LayoutError(
            f"a {NAMES[kind]} photo prints at {expected[0]}x{expected[1]} dots, "
            f"got {img.width}x{img.height}; use fit_id_photo()"
        )
    w_mm, h_mm = SIZES_MM[kind]
    return Document(
        f"证件照 {NAMES[kind]} x{copies}",
        (
            Text(f"证件照（{NAMES[kind]}）", align="center", bold=True),
            Feed(),
            Picture(
                framed(img),
                copies=copies,
                gap_dots=16,
                caption=f"{w_mm}×{h_mm}毫米，请沿黑框剪下",
            ),
        ),
    )
