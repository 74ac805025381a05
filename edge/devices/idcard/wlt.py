"""The chip photo: a 1024-byte WLT blob that only the reader vendor's decoder library turns into
the 102x126 colour photo (WLT is a proprietary compression; no open decoder exists, and none is
written here). The hardware profile names the library and its function (``idcard.decoder``);
without one the card is read without its photo and the window falls back to the clerk's check.

The function is called through ctypes as

    int fn(const unsigned char *wlt, unsigned char *bmp, int bmp_len)

and must write a BMP file (102x126, 24-bit) into ``bmp``; a negative return is a failure. A
vendor library with another signature needs a few lines of C shim with this one.
"""

from __future__ import annotations

import ctypes
import io
import threading
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from edge.devices.errors import DeviceError
from firmware_config.schema import WltDecoderSpec

PHOTO_SIZE: Final = (102, 126)  # width, height
# a 24-bit BMP of 102x126: 54-byte header, rows padded to 4 bytes ((102*3+2)*126)
BMP_BYTES: Final = 54 + (102 * 3 + 2) * 126


class DecoderUnavailable(DeviceError):
    """No decoder library, or it cannot be loaded, or it failed on this blob."""

    code = "idcard_decoder"


class WltDecoder(Protocol):
    def decode(self, wlt: bytes) -> NDArray[np.uint8]:
        """The chip photo as 126x102x3 RGB; DecoderUnavailable when it cannot be had."""
        ...

    def problem(self) -> str | None:
        """None when photos can be decoded; else why not, in Chinese (for the device bar)."""
        ...


def bmp_to_rgb(bmp: bytes) -> NDArray[np.uint8]:
    """A decoder's BMP as RGB, checked to be the chip photo's size."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(bmp)) as img:
            if img.format != "BMP" or img.size != PHOTO_SIZE:
                raise DecoderUnavailable(
                    f"照片解码结果不是 102x126 的 BMP（{img.format} {img.size}）"
                )
            return np.asarray(img.convert("RGB"), np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise DecoderUnavailable(f"照片解码结果无法识别：{exc}") from None


class VendorWltDecoder:
    """The vendor's library, loaded on first use (a unit without it still reads cards)."""

    def __init__(self, spec: WltDecoderSpec) -> None:
        self.spec = spec
        self._fn: ctypes._CFuncPtr | None = None  # type: ignore[name-defined]
        # vendor decoders are rarely reentrant: one call at a time
        self._lock = threading.Lock()

    def _load(self) -> ctypes._CFuncPtr:  # type: ignore[name-defined]
        if self._fn is None:
            try:
                lib = ctypes.CDLL(self.spec.library)
                fn = getattr(lib, self.spec.symbol)
            except OSError as exc:
                raise DecoderUnavailable(
                    f"照片解码库无法加载（{self.spec.library}）：{exc}"
                ) from None
            except AttributeError:
                raise DecoderUnavailable(
                    f"照片解码库中没有函数 {self.spec.symbol}（{self.spec.library}）"
                ) from None
            fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
            fn.restype = ctypes.c_int
            self._fn = fn
        return self._fn

    def problem(self) -> str | None:
        try:
            with self._lock:
                self._load()
        except DecoderUnavailable as exc:
            return str(exc)
        return None

    def decode(self, wlt: bytes) -> NDArray[np.uint8]:
        if len(wlt) != 1024:
            raise DecoderUnavailable(f"照片数据应为1024字节，实际{len(wlt)}字节")
        with self._lock:
            fn = self._load()
            out = ctypes.create_string_buffer(BMP_BYTES)
            rc = fn(wlt, out, BMP_BYTES)
            raw = out.raw
        if rc < 0:
            raise DecoderUnavailable(f"照片解码失败（返回 {rc}）")
        return bmp_to_rgb(raw)
