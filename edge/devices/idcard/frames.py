"""The serial frames of second-generation ID-card readers (the SAM module's protocol). Pure: no
I/O, so every rule here is tested without a reader.

Request  (host -> reader): AA AA AA 96 69 | LEN (2, big-endian) | CMD | PARA | DATA | CHK
Response (reader -> host): AA AA AA 96 69 | LEN (2, big-endian) | SW1 SW2 SW3 | DATA | CHK

LEN counts the bytes after itself, the checksum included. CHK is the XOR of every byte between
the preamble and the checksum (LEN included). SW3 is the SAM's status: 0x90 done, 0x9F card
found; anything else is a refusal (codes below). Sources: docs/devices.md, "ID-card reader".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce
from typing import Final

from edge.devices.errors import DeviceError

PREAMBLE: Final = b"\xaa\xaa\xaa\x96\x69"
HEADER: Final = len(PREAMBLE) + 2  # preamble + LEN
# read-base-message answers 1295 bytes; read-with-fingerprint a little over 2 KB. Anything
# longer is not a reader talking.
MAX_LEN: Final = 4096


class Command(IntEnum):
    """(CMD << 8) | PARA of the requests the driver sends."""

    RESET_SAM = 0x10FF
    SAM_STATUS = 0x11FF
    SAM_ID = 0x12FF
    FIND_CARD = 0x2001
    SELECT_CARD = 0x2002
    READ_BASE = 0x3001  # text (256 bytes) + chip photo (1024 bytes)


class Status(IntEnum):
    OK = 0x90
    CARD_FOUND = 0x9F
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    UNAUTHORISED = 0x23
    UNRECOGNISED = 0x24
    CARD_AUTH_FAILED = 0x31  # the card did not authenticate the SAM
    SAM_AUTH_FAILED = 0x32  # the SAM did not authenticate the card
    INFO_CHECK_FAILED = 0x33
    UNKNOWN_CARD = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_UNAUTHORISED = 0x66
    NO_CARD = 0x80
    SELECT_FAILED = 0x81
    NO_CONTENT = 0x91


# what the clerk is told for each refusal
STATUS_ZH: Final[dict[int, str]] = {
    Status.CHECKSUM_ERROR: "读卡器收到的数据校验错误",
    Status.LENGTH_ERROR: "读卡器收到的数据长度错误",
    Status.COMMAND_ERROR: "读卡器不支持该指令",
    Status.UNAUTHORISED: "越权操作",
    Status.UNRECOGNISED: "读卡器无法识别的错误",
    Status.CARD_AUTH_FAILED: "证件认证读卡模块失败",
    Status.SAM_AUTH_FAILED: "读卡模块认证证件失败，可能不是真实的居民身份证",
    Status.INFO_CHECK_FAILED: "证件信息校验失败",
    Status.UNKNOWN_CARD: "无法识别的卡片类型",
    Status.READ_FAILED: "读证件失败，请重新放置",
    Status.RANDOM_FAILED: "取随机数失败",
    Status.SAM_SELF_TEST_FAILED: "读卡模块自检失败",
    Status.SAM_UNAUTHORISED: "读卡模块未经授权",
    Status.NO_CARD: "未检测到身份证，请将身份证放在读卡区",
    Status.SELECT_FAILED: "选取证件失败，请重新放置",
    Status.NO_CONTENT: "证件中无此项内容",
}


class FrameError(DeviceError):
    """Bytes that are not a valid frame: bad preamble, length or checksum, or too short."""

    code = "idcard_frame"


class ReaderRefused(DeviceError):
    """A valid frame whose status is a refusal (no card, authentication failed, ...)."""

    code = "idcard_refused"

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(STATUS_ZH.get(status, f"读卡器返回未知状态 0x{status:02X}"))


def checksum(body: bytes) -> int:
    return reduce(lambda a, b: a ^ b, body, 0)


def request(command: Command, data: bytes = b"") -> bytes:
    """The request frame for ``command``."""
    body = bytes([command >> 8, command & 0xFF]) + data
    return _frame(body)


def response(sw: tuple[int, int, int], data: bytes = b"") -> bytes:
    """A response frame (what a reader sends; the simulator's side)."""
    return _frame(bytes(sw) + data)


def _frame(body: bytes) -> bytes:
    length = len(body) + 1
    if length > MAX_LEN:
        raise ValueError(f"frame body of {len(body)} bytes is too long")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([checksum(head + body)])


@dataclass(frozen=True)
class Frame:
    """A checked frame: its body between LEN and the checksum."""

    body: bytes

    @property
    def command(self) -> int:
        """(CMD << 8) | PARA, for a request frame."""
        if len(self.body) < 2:
            raise FrameError(f"request frame too short: {len(self.body)} body bytes")
        return (self.body[0] << 8) | self.body[1]

    @property
    def status(self) -> int:
        """SW3, for a response frame."""
        if len(self.body) < 3:
            raise FrameError(f"response frame too short: {len(self.body)} body bytes")
        return self.body[2]

    @property
    def payload(self) -> bytes:
        """The data after SW1 SW2 SW3, for a response frame."""
        self.status  # noqa: B018 -- raises on a frame too short to have one
        return self.body[3:]


def frame_length(head: bytes) -> int:
    """The whole frame's size from its first HEADER bytes; FrameError when they cannot start a
    frame (so a reader of a byte stream knows how much more to read, or to give up)."""
    if len(head) < HEADER:
        raise FrameError(f"frame header needs {HEADER} bytes, got {len(head)}")
    if head[: len(PREAMBLE)] != PREAMBLE:
        raise FrameError(f"bad preamble {head[: len(PREAMBLE)].hex(' ')}")
    length = int.from_bytes(head[len(PREAMBLE) : HEADER], "big")
    if not 2 <= length <= MAX_LEN:
        raise FrameError(f"frame length {length} out of range 2..{MAX_LEN}")
    return HEADER + length


def parse(raw: bytes) -> Frame:
    """One complete frame, checked: preamble, length (exactly the bytes given), checksum."""
    total = frame_length(raw[:HEADER])
    if len(raw) != total:
        raise FrameError(f"frame says {total} bytes, got {len(raw)}")
    body, chk = raw[HEADER:-1], raw[-1]
    want = checksum(raw[len(PREAMBLE) : -1])
    if chk != want:
        raise FrameError(f"checksum 0x{chk:02X}, computed 0x{want:02X}")
    return Frame(body)


def answer(raw: bytes, *, expect: int = Status.OK) -> bytes:
    """The payload of a response whose status is ``expect``; ReaderRefused otherwise."""
    frame = parse(raw)
    if frame.status != expect:
        raise ReaderRefused(frame.status)
    return frame.payload
