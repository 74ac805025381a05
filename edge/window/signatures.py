"""Signatures archived with their case, encrypted at rest on the unit (AES-256-GCM).

The strokes of an applicant's signature (and of a resident's 委托授权 on an agent's case) are
the legal record of the case and stay on the unit; only their sha256 goes to the hub, on the
transition that took them. Each record is keyed by case and purpose; the case id, the purpose
and the hash are authenticated as associated data, so a record copied to another case, or
altered, fails to open. The key is derived (HKDF-SHA256) from the template key provisioning
gives the window, so the unit needs no further secret and a key for one use is not the other's.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Purpose = Literal["signature", "authorization"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (
    case_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (case_id, purpose)
)
"""


class SignatureTampered(Exception):
    """A record that does not open with this unit's key, or whose content is not its hash."""


def archive_key(template_key: bytes) -> bytes:
    """The archive's AES key, derived from the window's template key."""
    hkdf = HKDF(hashes.SHA256(), length=32, salt=None, info=b"bianmin/signature-archive/v1")
    return hkdf.derive(template_key)


class SignatureArchive:
    def __init__(self, path: Path, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the signature archive key must be 32 bytes (AES-256)")
        self.path = path
        self._aead = AESGCM(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)
        os.chmod(path, 0o600)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path)) as db:
            db.execute("PRAGMA secure_delete = ON")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")  # kept before the case's transition commits
            with db:
                yield db

    @staticmethod
    def _aad(case_id: str, purpose: str, sha256: str) -> bytes:
        return f"bianmin-signature/v1/{case_id}/{purpose}/{sha256}".encode()

    def put(self, case_id: str, purpose: Purpose, data: bytes) -> str:
        """Keep ``data`` (a signature's canonical vector data) for the case; returns its sha256.
        Signing again before the case moves on replaces the earlier record."""
        sha = hashlib.sha256(data).hexdigest()
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, data, self._aad(case_id, purpose, sha))
        with self._db() as db:
            db.execute(
                "INSERT INTO signatures VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, purpose) "
                "DO UPDATE SET sha256 = excluded.sha256, nonce = excluded.nonce, "
                "ciphertext = excluded.ciphertext, created_at = excluded.created_at",
                (case_id, purpose, sha, nonce, ct, time.time()),
            )
        return sha

    def get(self, case_id: str, purpose: Purpose) -> bytes | None:
        """The archived data, decrypted and checked against its hash; None if there is none."""
        with self._db() as db:
            row = db.execute(
                "SELECT sha256, nonce, ciphertext FROM signatures "
                "WHERE case_id = ? AND purpose = ?",
                (case_id, purpose),
            ).fetchone()
        if row is None:
            return None
        sha, nonce, ct = row
        try:
            data = self._aead.decrypt(nonce, ct, self._aad(case_id, purpose, sha))
        except InvalidTag:
            raise SignatureTampered(f"{purpose} of case {case_id}: wrong key or altered") from None
        if hashlib.sha256(data).hexdigest() != sha:  # pragma: no cover - the tag covers it
            raise SignatureTampered(f"{purpose} of case {case_id}: not its recorded hash")
        return bytes(data)

    def import_plain(self, folder: Path) -> int:
        """Take in the signatures an earlier version kept in clear (``signatures/<case>.json``),
        then delete those files; returns how many. Run at start, before any case moves."""
        if not folder.is_dir():
            return 0
        moved = 0
        for path in sorted(folder.glob("*.json")):
            self.put(path.stem, "signature", path.read_bytes())
            path.unlink()
            moved += 1
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if nothing else is left in it
        return moved

    def sha256(self, case_id: str, purpose: Purpose) -> str | None:
        with self._db() as db:
            row = db.execute(
                "SELECT sha256 FROM signatures WHERE case_id = ? AND purpose = ?",
                (case_id, purpose),
            ).fetchone()
        return None if row is None else str(row[0])
