"""Clerks and agents (代办员) of a village window: the roster the hub signs into a unit's
configuration, and the PIN hash both sides compute.

A clerk signs in on the kiosk with a 6-digit PIN. The PIN is never stored or sent: the hub
keeps a salted scrypt hash (memory-hard, so each guess costs about 16 MiB and tens of
milliseconds), and the unit checks a PIN against the same hash offline. Six digits are a
million guesses, so the hash is no vault: the unit's lock-out after a few wrong PINs is what
stops guessing at the kiosk, and a roster taken from a stolen unit only names the clerks of
that one village (see docs/window.md).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from protocol.bounds import TEXT_PATTERN

CLERK_ID_PATTERN = r"^ck-[0-9a-f]{8}$"
ClerkId = Annotated[str, StringConstraints(pattern=CLERK_ID_PATTERN)]
ClerkName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=TEXT_PATTERN),
]
Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

PIN_LENGTH = 6
MAX_CLERKS = 64  # per village; a window has a handful of clerks and at most a few agents
# scrypt cost: N = 2^14, r = 8 is 16 MiB per hash, about 50 ms on a Raspberry Pi 4
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class ClerkRole(StrEnum):
    CLERK = "clerk"  # 窗口工作人员
    AGENT = "agent"  # 代办员: files cases on residents' behalf and carries them to the town


CLERK_ROLE_LABELS: dict[ClerkRole, str] = {
    ClerkRole.CLERK: "窗口工作人员",
    ClerkRole.AGENT: "代办员",
}


class WeakPin(ValueError):
    """A PIN that is not 6 digits, or one anyone would guess first."""


def _runs(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {-1}, {0})


def check_pin(pin: str) -> str:
    """``pin`` if it is 6 digits and not one of the obvious ones (all the same, a straight run
    up or down); WeakPin otherwise."""
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        raise WeakPin(f"a PIN is {PIN_LENGTH} digits")
    if _runs(pin):
        raise WeakPin("a PIN of one digit repeated, or of a straight run, is guessed first")
    return pin


def random_pin() -> str:
    """A random PIN that check_pin accepts."""
    while True:
        pin = f"{secrets.randbelow(10**PIN_LENGTH):0{PIN_LENGTH}d}"
        if not _runs(pin):
            return pin


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PinHash(_Model):
    """scrypt(PIN, salt) with its parameters. Bounded so that no configuration can make a unit
    spend more than 32 MiB or a fraction of a second on one check."""

    scheme: Literal["scrypt"] = "scrypt"
    n: Annotated[int, Field(ge=2**10, le=2**15)]
    r: Annotated[int, Field(ge=1, le=8)]
    p: Annotated[int, Field(ge=1, le=2)]
    salt: Hex32
    digest: Hex64

    @model_validator(mode="after")
    def _power_of_two(self) -> PinHash:
        if self.n & (self.n - 1):
            raise ValueError("n: must be a power of two")
        return self


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=128 * r * n + 2**20
    )


def hash_pin(
    pin: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P, salt: bytes | None = None
) -> PinHash:
    """The hash of a PIN that check_pin accepts, with a fresh random salt."""
    check_pin(pin)
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _scrypt(pin, salt, n, r, p)
    return PinHash(n=n, r=r, p=p, salt=salt.hex(), digest=digest.hex())


def pin_matches(pin: str, hashed: PinHash) -> bool:
    """Whether ``pin`` is the PIN of ``hashed`` (constant-time comparison of the digests)."""
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        return False
    digest = _scrypt(pin, bytes.fromhex(hashed.salt), hashed.n, hashed.r, hashed.p)
    return hmac.compare_digest(digest, bytes.fromhex(hashed.digest))


class Clerk(_Model):
    """One person who may sign in at the village's window."""

    id: ClerkId
    name: ClerkName
    role: ClerkRole
    pin: PinHash


class ClerkRoster(_Model):
    """The clerks and agents of one village, as its unit receives them (disabled ones are left
    out), with the sign-in policy the kiosk enforces."""

    clerks: tuple[Clerk, ...] = Field(max_length=MAX_CLERKS)
    # wrong PINs in a row before sign-in locks, and for how long
    max_pin_attempts: Annotated[int, Field(ge=3, le=10)] = 5
    lockout_s: Annotated[int, Field(ge=60, le=3600)] = 300
    # a signed-in clerk is signed out after this long without touching the kiosk
    idle_sign_out_s: Annotated[int, Field(ge=60, le=4 * 3600)] = 900

    @model_validator(mode="after")
    def _unique(self) -> ClerkRoster:
        ids = [c.id for c in self.clerks]
        if len(set(ids)) != len(ids):
            raise ValueError("clerks: a clerk id is listed twice")
        return self

    def get(self, clerk_id: str) -> Clerk | None:
        return next((c for c in self.clerks if c.id == clerk_id), None)
