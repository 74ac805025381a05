"""The ID-card reader the window uses, and its serial driver.

    reader = SerialIdCardReader(profile.idcard)         # opens the port per read (replugs work)
    card = await asyncio.to_thread(reader.read, 15.0, stop)  # waits for a card on the reader
    card.number, card.valid_until, card.photo           # photo None: no decoder (card.photo_note)

The driver only moves frames (edge.devices.idcard.frames, pure); the card's fields are parsed
by edge.devices.idcard.card and the photo decoded by the vendor's library (wlt.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from edge.devices.errors import DeviceError, DeviceTimeout, from_os_error
from edge.devices.idcard import frames as f
from edge.devices.idcard.card import CardRead, card_of, split_base
from edge.devices.idcard.wlt import DecoderUnavailable, VendorWltDecoder, WltDecoder
from firmware_config.schema import IdCardSpec
from protocol.labels import DEVICE_LABELS
from protocol.messages import DeviceStatus

READER = DEVICE_LABELS["idcard"]
log = logging.getLogger(__name__)

POLL_S = 0.3  # between two FIND_CARD requests while no card lies on the reader
ANSWER_S = 2.0  # a reader answers within this (read-base-message takes ~1 s at 115200 baud)
NO_DECODER = "本读卡器未配置照片解码库，无法比对证件照片"


class IdCardReader(Protocol):
    """What the window uses; the serial driver implements it (the simulator is the hardware)."""

    def read(self, timeout_s: float | None = None, stop: threading.Event | None = None) -> CardRead:
        """Wait up to ``timeout_s`` (default: the profile's ``wait_s``) for a card and read it;
        DeviceTimeout when none came."""
        ...

    def status(self) -> DeviceStatus: ...


class SerialPort(Protocol):
    def write(self, data: bytes) -> int | None: ...
    def read(self, size: int) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    def close(self) -> None: ...


Opener = Callable[[IdCardSpec], SerialPort]


def open_serial(spec: IdCardSpec) -> SerialPort:
    import serial

    port: Any = serial.Serial(spec.device, spec.baudrate, timeout=ANSWER_S, write_timeout=ANSWER_S)
    return port  # type: ignore[no-any-return]


def exchange(port: SerialPort, request: bytes) -> bytes:
    """Send one request frame and read one whole response frame (raw, unchecked beyond its
    header: frames.parse checks it)."""
    port.reset_input_buffer()  # a late answer to an earlier request must not be taken for this
    port.write(request)
    head = port.read(f.HEADER)
    if len(head) < f.HEADER:
        raise DeviceTimeout(f"{READER}无应答" if not head else f"{READER}应答不完整")
    total = f.frame_length(head)
    rest = port.read(total - f.HEADER)
    if len(rest) < total - f.HEADER:
        raise DeviceTimeout(f"{READER}应答不完整（{len(head) + len(rest)}/{total} 字节）")
    return head + rest


class SerialIdCardReader:
    """A reader on a (USB-)serial port speaking the SAM frames."""

    def __init__(
        self,
        spec: IdCardSpec,
        *,
        decoder: WltDecoder | None = None,
        opener: Opener = open_serial,
    ) -> None:
        self.spec = spec
        # the profile's vendor library, unless one is given (the simulator's stand-in)
        self.decoder = decoder or (VendorWltDecoder(spec.decoder) if spec.decoder else None)
        self._open = opener
        self._lock = threading.Lock()  # one conversation on the port at a time

    def _port(self) -> SerialPort:
        try:
            return self._open(self.spec)
        except OSError as exc:
            raise from_os_error(exc, READER, device=self.spec.device) from None

    def _ask(self, port: SerialPort, command: f.Command, expect: int = f.Status.OK) -> bytes:
        try:
            return f.answer(exchange(port, f.request(command)), expect=expect)
        except OSError as exc:
            raise from_os_error(exc, READER, device=self.spec.device) from None

    def read(self, timeout_s: float | None = None, stop: threading.Event | None = None) -> CardRead:
        timeout_s = self.spec.wait_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        with self._lock:
            port = self._port()
            try:
                while True:
                    if stop is not None and stop.is_set():
                        raise DeviceError("已取消读卡", device=self.spec.device)
                    try:
                        self._ask(port, f.Command.FIND_CARD, expect=f.Status.CARD_FOUND)
                        self._ask(port, f.Command.SELECT_CARD)
                        base = split_base(self._ask(port, f.Command.READ_BASE))
                        break
                    except f.ReaderRefused as exc:
                        # no card yet, or a card moved while being read: ask again
                        if exc.status not in (f.Status.NO_CARD, f.Status.SELECT_FAILED,
                                              f.Status.READ_FAILED):  # fmt: skip
                            raise
                    if time.monotonic() + POLL_S > deadline:
                        raise DeviceTimeout(
                            f"{timeout_s:g} 秒内未读到身份证，请将身份证放在{READER}上"
                        )
                    time.sleep(POLL_S)
            finally:
                port.close()
        card = card_of(base.fields)
        return self._with_photo(card, base.wlt)

    def _with_photo(self, card: CardRead, wlt: bytes) -> CardRead:
        if not wlt:
            return _photo(card, None, "证件中没有照片")
        if self.decoder is None:
            return _photo(card, None, NO_DECODER)
        try:
            return _photo(card, self.decoder.decode(wlt), "")
        except DecoderUnavailable as exc:
            log.warning("chip photo not decoded: %s", exc)
            return _photo(card, None, str(exc))

    def status(self) -> DeviceStatus:
        if not self._lock.acquire(blocking=False):
            # a read holds the port: the reader is there and talking
            return DeviceStatus.report(present=True, ok=True, detail="读卡中")
        try:
            port = self._port()
        except DeviceError as exc:
            self._lock.release()
            return DeviceStatus.report(present=False, ok=False, detail=str(exc))
        try:
            self._ask(port, f.Command.SAM_STATUS)
            # the reader works either way; the note says when photos cannot be compared
            detail = self.decoder.problem() if self.decoder else NO_DECODER
            return DeviceStatus.report(present=True, ok=True, detail=detail)
        except DeviceError as exc:
            return DeviceStatus.report(present=True, ok=False, detail=str(exc))
        finally:
            port.close()
            self._lock.release()


def _photo(card: CardRead, photo: Any, note: str) -> CardRead:
    from dataclasses import replace

    return replace(card, photo=photo, photo_note=note)
