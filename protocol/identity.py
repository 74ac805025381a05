"""Resident ID numbers (GB 11643): validate, mask for display, and turn into a keyed hash.

The number itself never leaves the window: events and the hub carry the masked form for
people and a keyed reference for matching. The reference key is the hub's alone; a unit gets a
number's reference through the blinded exchange of protocol.idref, so no unit holds anything
that turns a candidate number into a reference (docs/security-keys.md).
"""

from __future__ import annotations

import re

from protocol import idref

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    code = "invalid_id_number"


def normalise(number: str) -> str:
    return number.strip().upper().replace(" ", "")


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate(number: str) -> str:
    """Return the normalised 18-character number, or raise InvalidIdNumber saying why."""
    n = normalise(number)
    if not _SHAPE.match(n):
        raise InvalidIdNumber("身份证号码应为18位（最后一位可为X）")
    if check_digit(n[:17]) != n[17]:
        raise InvalidIdNumber("身份证号码校验位不正确")
    return n


def mask(number: str) -> str:
    """The one masked form kept and sent anywhere (events, the hub, the unit's databases,
    slips, the kiosk): the first and the last character only, 16 hidden. No slip needs more
    (docs/security-keys.md, "Masks"); the first 4 and last 4 shown before gave half the number
    away, and with the reference key it came back in 16,000 guesses."""
    n = normalise(number)
    if len(n) <= 2:
        return "*" * len(n)
    return n[:1] + "*" * (len(n) - 2) + n[-1:]


def remask(masked: str) -> str:
    """Any masked (or clear) number reduced to :func:`mask`'s form, keeping only characters
    the given form showed: how the hub stores what a unit sent, whatever the unit's version."""
    text = masked.strip()
    if len(text) <= 2:
        return "*" * len(text)
    return text[:1] + "*" * (len(text) - 2) + text[-1:]


def reference(number: str, key: bytes) -> str:
    """The number's reference under the county's reference key (protocol.idref): what the hub
    computes, and what a unit obtains blinded without holding the key."""
    return idref.reference(normalise(number), key)
