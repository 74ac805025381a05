"""The card's fields as the reader's read-base-message answer carries them. Pure.

Payload: text length (2, big-endian, 256) | photo length (2, big-endian, 1024) | text | photo.
Text: UCS-2 little-endian in fixed widths (characters): name 15, sex 1, nation 2, birth date 8,
address 35, ID number 18, issuing authority 15, valid from 8, valid until 8 (YYYYMMDD, or 长期
for a card without end), reserved 18; padded with spaces. The photo is the 1024-byte WLT blob
that only the vendor's decoder turns into a 102x126 image (edge.devices.idcard.wlt).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np
from numpy.typing import NDArray

from edge.devices.idcard.frames import FrameError
from protocol import identity

TEXT_BYTES: Final = 256
WLT_BYTES: Final = 1024
# (name, characters) in the order the chip stores them
FIELDS: Final = (
    ("name", 15), ("sex", 1), ("nation", 2), ("birth", 8), ("address", 35), ("number", 18),
    ("authority", 15), ("valid_from", 8), ("valid_until", 8), ("reserved", 18),
)  # fmt: skip
NO_END: Final = "长期"


@dataclass(frozen=True)
class CardRead:
    """One card as read: kept in memory for one identification, never stored or sent.
    ``photo`` is the chip photo (126x102x3 RGB) when a decoder turned the WLT blob into one."""

    number: str = field(repr=False)
    name: str = field(repr=False)
    valid_from: date
    valid_until: date | None  # None: 长期 (valid without end)
    photo: NDArray[np.uint8] | None = field(default=None, repr=False, compare=False)
    photo_note: str = ""  # why there is no photo, in Chinese, when there is none

    def expired(self, today: date) -> bool:
        return self.valid_until is not None and today > self.valid_until


@dataclass(frozen=True)
class BaseMessage:
    """The read-base-message payload split: the text fields and the undecoded photo."""

    fields: dict[str, str]
    wlt: bytes


def split_base(payload: bytes) -> BaseMessage:
    """The payload of a READ_BASE answer; FrameError when its sizes are not the card's."""
    if len(payload) < 4:
        raise FrameError(f"base message too short: {len(payload)} bytes")
    text_len = int.from_bytes(payload[0:2], "big")
    photo_len = int.from_bytes(payload[2:4], "big")
    if text_len != TEXT_BYTES or photo_len not in (0, WLT_BYTES):
        raise FrameError(f"base message sizes {text_len}/{photo_len}, want 256/1024")
    if len(payload) < 4 + text_len + photo_len:
        raise FrameError(f"base message has {len(payload)} bytes, says {4 + text_len + photo_len}")
    text = payload[4 : 4 + text_len]
    wlt = payload[4 + text_len : 4 + text_len + photo_len]
    return BaseMessage(decode_text(text), wlt)


def decode_text(text: bytes) -> dict[str, str]:
    """The fixed-width UCS-2 fields, trimmed."""
    if len(text) != TEXT_BYTES:
        raise FrameError(f"card text is {len(text)} bytes, want {TEXT_BYTES}")
    try:
        chars = text.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise FrameError(f"card text is not UCS-2: {exc}") from None
    out, at = {}, 0
    for name, width in FIELDS:
        out[name] = chars[at : at + width].strip(" \x00")
        at += width
    return out


def encode_text(values: dict[str, str]) -> bytes:
    """The chip's text block from field values (the simulator's side)."""
    parts = []
    for name, width in FIELDS:
        v = values.get(name, "")
        if len(v) > width:
            raise ValueError(f"{name} is longer than {width} characters")
        parts.append(v.ljust(width))
    return "".join(parts).encode("utf-16-le")


def _day(s: str, what: str) -> date:
    if len(s) != 8 or not s.isdigit():
        raise FrameError(f"{what} is not YYYYMMDD: {s!r}")
    try:
        return date(int(s[:4]), int(s[4:6]), int(s[6:]))
    except ValueError:
        raise FrameError(f"{what} is not a date: {s!r}") from None


def card_of(fields: dict[str, str]) -> CardRead:
    """The card's fields checked: a valid ID number (GB 11643 check digit), dates, a name."""
    try:
        number = identity.validate(fields.get("number", ""))
    except identity.InvalidIdNumber as exc:
        raise FrameError(f"the card's ID number is not valid: {exc}") from None
    name = fields.get("name", "")
    if not name:
        raise FrameError("the card has no name")
    until = fields.get("valid_until", "")
    return CardRead(
        number=number,
        name=name,
        valid_from=_day(fields.get("valid_from", ""), "valid from"),
        valid_until=None if until == NO_END else _day(until, "valid until"),
    )


def masked_name(name: str) -> str:
    """The surname and a star per other character, as windows show a name to a room (张*)."""
    return name[:1] + "*" * (len(name) - 1)
