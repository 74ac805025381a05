"""The county's ID reference key (protocol.idref): held by the hub alone, never by a unit.

A file of 64 hex digits, mode 0600. In local mode the hub makes one on first use in its data
directory; outside it the hub refuses to invent one (references made under a new key would
match nothing already stored): `bianmin hub id-key init` writes it once, and every hub process
gets the same file. A deployment whose units held the county key before issue 17 gives the
hub that same key (the provisioning store's ``id_key``), so stored references keep matching.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from hub.errors import ReferenceKeyMissing
from hub.settings import HubSettings
from protocol import idseal

KEY_BYTES = 32


def create_id_key(path: Path, key: bytes | None = None) -> bytes:
    """Write a new key to ``path`` (0600, whole or not at all); FileExistsError if present."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES) if key is None else key
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # a second process sees no key or the whole of it
    finally:
        tmp.unlink(missing_ok=True)
    return key


def read_id_key(path: Path, *, strict: bool) -> bytes:
    try:
        mode, text = path.stat().st_mode, path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceKeyMissing(f"ID reference key {path}: cannot read it: {exc}") from None
    if strict and mode & 0o077:
        raise ReferenceKeyMissing(
            f"ID reference key {path} is readable by other users; run: chmod 600 {path}"
        )
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ReferenceKeyMissing(f"ID reference key {path}: not {2 * KEY_BYTES} hex digits")
    return key


def _load_or_make(
    path: Path, settings: HubSettings, make: Callable[[Path], bytes], missing: str
) -> bytes:
    """The key in ``path``; made on first use in local mode only, elsewhere ``missing`` says
    which command makes it."""
    if path.exists():
        return read_id_key(path, strict=not settings.local)
    if not settings.local:
        raise ReferenceKeyMissing(missing)
    try:
        return make(path)
    except FileExistsError:  # another hub process made it a moment ago
        return read_id_key(path, strict=False)


def load_id_key(settings: HubSettings) -> bytes:
    path = settings.id_key_path
    return _load_or_make(
        path, settings, create_id_key,
        f"no ID reference key at {path}: run `bianmin hub id-key init --key-file {path}` "
        "once (or give the hub the county key units held before) and share the file with "
        "every hub process",
    )  # fmt: skip


def create_seal_key(path: Path) -> bytes:
    """The hub's X25519 private key for offline references (protocol.idseal), 0600."""
    return create_id_key(path, idseal.new_private_key())


def load_seal_key(settings: HubSettings) -> bytes:
    """The private half units seal offline references to; made on first use in local mode, and
    by `bianmin hub id-key init` (or `id-key seal-init` beside an existing key) elsewhere."""
    path = settings.id_seal_key_path
    return _load_or_make(
        path, settings, create_seal_key,
        f"no ID seal key at {path}: run `bianmin hub id-key seal-init --key-file "
        f"{settings.id_key_path}` once and share the file with every hub process",
    )  # fmt: skip


def seal_public_key(settings: HubSettings) -> bytes:
    """What units are given (provisioning, the signed config): the public half."""
    return idseal.public_key(load_seal_key(settings))
