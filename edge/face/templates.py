"""Enrolled face templates, encrypted at rest with AES-256-GCM.

The store knows templates only by an opaque random id; which resident a template belongs to is
kept by the caller elsewhere (never the ID number in this file). The id and the model name are
authenticated as associated data, so a record copied under another id, or read with another
model, fails to decrypt. The key comes from provisioning; this module never creates or stores
it. Deleted rows are overwritten (SQLite secure_delete), not just unlinked.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.face.errors import FaceError, TemplateNotFound, TemplateTampered
from edge.face.types import Embedding

_SCHEMA = """
CREATE TABLE IF NOT EXISTS templates (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at REAL NOT NULL
)
"""


class TemplateStore:
    def __init__(self, path: str | Path, key: bytes, model: str = "dlib-resnet-v1") -> None:
        if len(key) != 32:
            raise FaceError("the template key must be 32 bytes (AES-256) from provisioning")
        self.path = Path(path)
        self.model = model
        self._aead = AESGCM(key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)
        os.chmod(self.path, 0o600)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path)) as db:
            db.execute("PRAGMA secure_delete = ON")
            db.execute("PRAGMA journal_mode = WAL")
            with db:
                yield db

    def _aad(self, template_id: str, model: str) -> bytes:
        return f"bianmin-face-template/v1/{model}/{template_id}".encode()

    def add(self, embedding: Embedding) -> str:
        """Store a template; returns its new opaque id."""
        template_id = secrets.token_hex(16)
        nonce = os.urandom(12)
        plain = np.asarray(embedding, "<f4").reshape(-1).tobytes()
        ct = self._aead.encrypt(nonce, plain, self._aad(template_id, self.model))
        with self._db() as db:
            db.execute(
                "INSERT INTO templates VALUES (?, ?, ?, ?, ?)",
                (template_id, self.model, nonce, ct, time.time()),
            )
        return template_id

    def _decrypt(self, template_id: str, model: str, nonce: bytes, ct: bytes) -> Embedding:
        try:
            plain = self._aead.decrypt(nonce, ct, self._aad(template_id, model))
        except InvalidTag:
            raise TemplateTampered(
                f"template {template_id} failed authentication (wrong key or altered)"
            ) from None
        return np.frombuffer(plain, "<f4").astype(np.float32)

    def get(self, template_id: str) -> Embedding:
        with self._db() as db:
            row = db.execute(
                "SELECT model, nonce, ciphertext FROM templates WHERE id = ?", (template_id,)
            ).fetchone()
        if row is None:
            raise TemplateNotFound(f"no template {template_id}")
        return self._decrypt(template_id, *row)

    def all(self) -> Iterator[tuple[str, Embedding]]:
        """Every template, decrypted; for loading the search gallery into memory."""
        with self._db() as db:
            rows = db.execute("SELECT id, model, nonce, ciphertext FROM templates").fetchall()
        for template_id, model, nonce, ct in rows:
            yield template_id, self._decrypt(template_id, model, nonce, ct)

    def ids(self) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT id FROM templates ORDER BY created_at")]

    def delete(self, template_id: str) -> None:
        """Erase a template on the resident's request; TemplateNotFound if there is none."""
        with self._db() as db:
            gone = db.execute("DELETE FROM templates WHERE id = ?", (template_id,)).rowcount
        if not gone:
            raise TemplateNotFound(f"no template {template_id}")
        with self._db() as db:
            # move the overwritten pages out of the WAL too, so no copy survives the delete
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __len__(self) -> int:
        with self._db() as db:
            return int(db.execute("SELECT COUNT(*) FROM templates").fetchone()[0])
