"""Per-unit broker credentials: generation, Mosquitto password hashes, and the credentials file."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from protocol.topics import HUB_USER, check_unit_id

# Mosquitto 2.x "$7$" hashes: PBKDF2-SHA512, 101 iterations is mosquitto_passwd's own default.
_ITERATIONS = 101


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


def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, _ITERATIONS)
    b64 = base64.b64encode
    return f"$7${_ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def password_file_text(creds: Credentials) -> str:
    lines = [f"{HUB_USER}:{mosquitto_hash(creds.hub_password)}"]
    lines += [f"{unit}:{mosquitto_hash(pw)}" for unit, pw in sorted(creds.units.items())]
    return "\n".join(lines) + "\n"


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
