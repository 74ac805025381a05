"""Per-unit broker credentials: generation, the password hashes Mosquitto checks, and the
credentials file."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from protocol.topics import check_unit_id

# Mosquitto's dynamic-security plugin (2.0.11) checks PBKDF2-HMAC-SHA512 with a 64-byte digest.
# It silently drops a client whose salt is not exactly 12 bytes (verified: the client is left
# out of the plugin's state, so it can never log in). 101 iterations is the plugin's own
# default; the passwords are 192 random bits, so a costlier hash would buy nothing.
ITERATIONS = 101
SALT_BYTES = 12


class Credentials(BaseModel):
    """Every unit's password plus the hub's. Written 0600; secrets never go into logs."""

    model_config = ConfigDict(extra="forbid")

    hub_password: str
    units: dict[str, str]

    def password_for(self, unit: str) -> str:
        try:
            return self.units[unit]
        except KeyError:
            raise KeyError(f"no broker credentials for unit {unit!r}") from None


def new_password() -> str:
    return secrets.token_urlsafe(24)


def generate(units: list[str]) -> Credentials:
    return Credentials(
        hub_password=new_password(),
        units={check_unit_id(u): new_password() for u in units},
    )


@dataclass(frozen=True)
class PasswordHash:
    salt: bytes
    digest: bytes
    iterations: int

    def dynsec_fields(self) -> dict[str, str | int]:
        """The fields of a client in a dynamic-security config file."""
        return {
            "password": base64.b64encode(self.digest).decode("ascii"),
            "salt": base64.b64encode(self.salt).decode("ascii"),
            "iterations": self.iterations,
        }


def hash_password(password: str, salt: bytes | None = None) -> PasswordHash:
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    if len(salt) != SALT_BYTES:
        raise ValueError(f"Mosquitto needs a salt of {SALT_BYTES} bytes, not {len(salt)}")
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, ITERATIONS)
    return PasswordHash(salt, digest, ITERATIONS)


def save(creds: Credentials, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(creds.model_dump(), fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


def load(path: Path) -> Credentials:
    try:
        return Credentials.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise FileNotFoundError(f"cannot read credentials file {path}: {exc.strerror}") from None
