"""The hub's Ed25519 signing key: units pin its public half at provisioning.

In local mode the key is created on first start in the hub's data directory (never in the
repository: ``/var/`` is ignored by git). Outside local mode the hub refuses to invent a key:
a key made silently on a new server would not match what the units pinned, and every config
would be rejected in the field. Create it once with ``bianmin hub keygen`` and distribute it
to every hub process (they must all sign with the same key).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.errors import SigningKeyError
from hub.settings import HubSettings
from protocol.errors import SignatureError
from protocol.signing import generate_key, private_key_from_pem, private_key_to_pem


def create_key_file(path: Path) -> Ed25519PrivateKey:
    """Write a new key to ``path`` (mode 0600); FileExistsError if there is one already.

    Written whole under a temporary name and then hard-linked into place, so a second hub
    process starting at the same moment sees either no key or the complete one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(private_key_to_pem(key))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return key


def read_key_file(path: Path, *, strict: bool) -> Ed25519PrivateKey:
    """Read a key; with ``strict`` refuse a file that others can read."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"signing key {path}: cannot read it: {exc.strerror}") from None
    if strict and mode & 0o077:
        raise SigningKeyError(
            f"signing key {path} is readable by other users (mode {mode & 0o777:o}); "
            f"run: chmod 600 {path}"
        )
    try:
        return private_key_from_pem(data)
    except (ValueError, TypeError, SignatureError) as exc:
        raise SigningKeyError(f"signing key {path}: not an Ed25519 PEM key: {exc}") from None


def load_signing_key(settings: HubSettings) -> Ed25519PrivateKey:
    path = settings.signing_key_path
    if path.exists():
        return read_key_file(path, strict=not settings.local)
    if not settings.local:
        raise SigningKeyError(
            f"no signing key at {path}. Outside local mode the hub does not create one "
            f"implicitly: run `bianmin hub keygen --key-file {path}` once, pin the public key "
            f"it prints in every unit, and give every hub process the same file"
        )
    try:
        return create_key_file(path)
    except FileExistsError:  # another hub process created it a moment ago
        return read_key_file(path, strict=False)
