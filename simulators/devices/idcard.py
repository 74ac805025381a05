"""A simulated second-generation ID-card reader: the hardware end of a pty, answering the same
SAM frames a real reader sends over USB-serial, so the real driver (edge.devices.idcard.reader)
is what talks to it. Cards are laid on and taken off it by tests and the demo.

It stands in for two things this machine does not have: the reader and the vendor's WLT photo
decoder. A simulated card's "WLT" blob is a JPEG of the chip photo (102x126, compressed to fit
the 1024 bytes the chip holds), and ``SimulatedWltDecoder`` decodes exactly that; a real WLT blob
is only ever decoded by the vendor's library.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import select
import threading
import tty
from dataclasses import dataclass, field
from datetime import date

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.devices.idcard import frames as f
from edge.devices.idcard.card import NO_END, WLT_BYTES, encode_text
from edge.devices.idcard.wlt import PHOTO_SIZE, DecoderUnavailable
from firmware_config.schema import IdCardSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimCard:
    number: str
    name: str
    valid_from: date = date(2020, 1, 1)
    valid_until: date | None = date(2040, 1, 1)  # None: 长期
    sex: str = "1"
    nation: str = "01"
    birth: str = "19800101"
    address: str = "浙江省杭州市某县清水镇东街村1号"
    authority: str = "某县公安局"
    chip: bytes | None = field(default=None, repr=False)  # the 1024-byte blob; None: no photo

    def text(self) -> bytes:
        until = NO_END if self.valid_until is None else self.valid_until.strftime("%Y%m%d")
        return encode_text({
            "name": self.name, "sex": self.sex, "nation": self.nation, "birth": self.birth,
            "address": self.address, "number": self.number, "authority": self.authority,
            "valid_from": self.valid_from.strftime("%Y%m%d"), "valid_until": until,
        })  # fmt: skip


def chip_photo(
    frame: NDArray[np.uint8], box: tuple[float, float, float, float]
) -> NDArray[np.uint8]:
    """A chip photo of the face in ``box`` (x, y, w, h): head and shoulders at 102x126, the face
    ~55 % of the width, white around. bench/face_eval_set.card_photo makes the evaluation's
    chips with this and ``fit_chip``, so the calibration sees the chips the window sees."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    cw = w / 0.55
    ch = cw * PHOTO_SIZE[1] / PHOTO_SIZE[0]
    x0, y0 = cx - cw / 2, cy - ch * 0.45
    s = PHOTO_SIZE[0] / cw
    m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]])
    out = cv2.warpAffine(frame, m, PHOTO_SIZE, flags=cv2.INTER_AREA, borderValue=(255, 255, 255))
    return np.asarray(out, np.uint8)


def fit_chip(photo: NDArray[np.uint8]) -> tuple[bytes, int]:
    """The photo as the highest-quality JPEG that fits the chip's 1024 bytes, with that quality
    (unpadded). A real chip's WLT is about as lossy: 102x126 colour in 1 KB."""
    from PIL import Image

    img = Image.fromarray(photo).convert("RGB")
    for quality in range(95, 0, -1):  # ~1 ms each at 102x126; usually ends near 10
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True)
        data = buf.getvalue()
        if len(data) <= WLT_BYTES:
            return data, quality
    raise ValueError("the photo does not fit the chip even at JPEG quality 1")


def encode_chip(photo: NDArray[np.uint8]) -> bytes:
    """The chip's 1024-byte blob: ``fit_chip``'s JPEG, zero-padded."""
    return fit_chip(photo)[0].ljust(WLT_BYTES, b"\x00")


class SimulatedWltDecoder:
    """Decodes the simulator's chip blobs (JPEGs), standing in for the vendor's library."""

    def problem(self) -> str | None:
        return None

    def decode(self, wlt: bytes) -> NDArray[np.uint8]:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(wlt.rstrip(b"\x00") or b"-")) as img:
                if img.size != PHOTO_SIZE:
                    raise DecoderUnavailable(f"照片尺寸不对：{img.size}")
                return np.asarray(img.convert("RGB"), np.uint8)
        except (UnidentifiedImageError, OSError) as exc:
            raise DecoderUnavailable(f"照片解码失败：{exc}") from None


class SimulatedIdCardReader:
    """The reader's side of a pty. ``device`` is the path the driver opens."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # bytes as they are: no echo, no line discipline
        self.device = os.ttyname(self._slave)
        self.card: SimCard | None = None
        self.mute = False  # answers nothing (a reader switched off mid-way)
        self.corrupt = False  # answers with a wrong checksum
        self.requests: list[int] = []
        self._selected = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="sim-idcard", daemon=True)

    def spec(self, **fields: object) -> IdCardSpec:
        """A profile section for this reader (no vendor decoder: pass SimulatedWltDecoder)."""
        return IdCardSpec(device=self.device, **fields)

    def start(self) -> SimulatedIdCardReader:
        self._thread.start()
        return self

    def place(self, card: SimCard) -> None:
        self.card, self._selected = card, False

    def remove(self) -> None:
        self.card, self._selected = None, False

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _serve(self) -> None:
        buf = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                buf += os.read(self._master, 4096)
            except OSError:
                continue  # nobody has the port open right now
            buf = self._answer_all(buf)

    def _answer_all(self, buf: bytes) -> bytes:
        while True:
            start = buf.find(f.PREAMBLE)
            if start < 0:
                return buf[-(len(f.PREAMBLE) - 1) :]  # keep a preamble split across reads
            buf = buf[start:]
            if len(buf) < f.HEADER:
                return buf
            try:
                total = f.frame_length(buf[: f.HEADER])
            except f.FrameError:
                buf = buf[1:]
                continue
            if len(buf) < total:
                return buf
            raw, buf = buf[:total], buf[total:]
            try:
                reply = self._reply(f.parse(raw))
            except f.FrameError:
                reply = f.response((0, 0, f.Status.CHECKSUM_ERROR))
            self._send(reply)

    def _send(self, reply: bytes) -> None:
        if self.mute:
            return
        if self.corrupt:
            reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
        os.write(self._master, reply)

    def _reply(self, frame: f.Frame) -> bytes:
        cmd = frame.command
        self.requests.append(cmd)
        card = self.card
        if cmd == f.Command.SAM_STATUS:
            return f.response((0, 0, f.Status.OK))
        if cmd == f.Command.FIND_CARD:
            if card is None:
                return f.response((0, 0, f.Status.NO_CARD))
            return f.response((0, 0, f.Status.CARD_FOUND), b"\x00" * 4)
        if cmd == f.Command.SELECT_CARD:
            if card is None:
                return f.response((0, 0, f.Status.SELECT_FAILED))
            self._selected = True
            return f.response((0, 0, f.Status.OK), b"\x00" * 8)
        if cmd == f.Command.READ_BASE:
            if card is None or not self._selected:
                return f.response((0, 0, f.Status.READ_FAILED))
            photo = card.chip or b""
            sizes = (256).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
            return f.response((0, 0, f.Status.OK), sizes + card.text() + photo)
        return f.response((0, 0, f.Status.COMMAND_ERROR))


# The demo's card: the second of the demo registry's residents (simulators.demo_window), so a
# card read there also gets its 信息一库 waivers; 王小明 signs on the simulated pad too.
DEMO_NUMBER_17 = "33012219800704002"


def demo_card(face_photo: str | None) -> SimCard:
    """The card the demo's reader holds, its chip photo made from ``face_photo`` (the photo the
    simulated camera starts with) when the face models can find the face in it; else a card
    without a photo (the kiosk then says so and the clerk compares by eye)."""
    from protocol import identity

    number = DEMO_NUMBER_17 + identity.check_digit(DEMO_NUMBER_17)
    return SimCard(number=number, name="王小明", chip=_demo_chip(face_photo))


def _demo_chip(face_photo: str | None) -> bytes | None:
    if not face_photo or not os.path.isfile(face_photo):
        return None
    from edge.face.errors import FaceError
    from edge.face.pipeline import FacePipeline, load_image

    try:
        pipe = FacePipeline(threads=1)
        frame = load_image(face_photo)
        d = pipe.single_face(frame)
    except (FaceError, OSError) as exc:
        log.info("the demo card has no chip photo: %s", exc)
        return None
    return encode_chip(chip_photo(frame, (d.x0, d.y0, d.width, d.height)))
