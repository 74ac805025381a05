"""Resident ID numbers (GB 11643): validate, mask for display, and turn into a keyed hash.

The number itself never leaves the window: events and the hub carry the masked form for
people and an HMAC for matching (the same resident gives the same reference county-wide,
because every unit of the county holds the same key, issued at provisioning).
"""

from __future__ import annotations

import hashlib
import hmac
import re

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
    """Show only the first 4 and last 4 characters, as windows print on slips."""
    n = normalise(number)
    if len(n) <= 8:
        return "*" * len(n)
    return n[:4] + "*" * (len(n) - 8) + n[-4:]


def reference(number: str, key: bytes) -> str:
    """A keyed hash of the number: stable for matching, useless without the county's key."""
    if len(key) < 16:
        raise ValueError("the ID hashing key must be at least 16 bytes")
    digest = hmac.new(key, normalise(number).encode("ascii"), hashlib.sha256).hexdigest()
    return digest[:32]
