"""The encrypted template store: round trip, nothing in clear, tamper detection, deletion."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from edge.face.errors import FaceError, TemplateNotFound, TemplateTampered
from edge.face.templates import TemplateStore

KEY = bytes(range(32))


def _vec(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=128).astype(np.float32)


def test_templates_round_trip_through_encryption(tmp_path: Path) -> None:
    store = TemplateStore(tmp_path / "t.db", KEY)
    ids = [store.add(_vec(i)) for i in range(3)]
    assert len(set(ids)) == 3
    assert all(len(i) == 32 for i in ids)
    np.testing.assert_array_equal(store.get(ids[1]), _vec(1))
    reopened = TemplateStore(tmp_path / "t.db", KEY)
    assert dict(reopened.all()).keys() == set(ids)
    assert len(reopened) == 3


def test_store_file_holds_no_plaintext_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = TemplateStore(path, KEY)
    store.add(_vec(5))
    blob = path.read_bytes() + (
        path.with_name("t.db-wal").read_bytes() if path.with_name("t.db-wal").exists() else b""
    )
    assert _vec(5).tobytes()[:16] not in blob
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_wrong_key_is_detected(tmp_path: Path) -> None:
    template_id = TemplateStore(tmp_path / "t.db", KEY).add(_vec(1))
    other = TemplateStore(tmp_path / "t.db", os.urandom(32))
    with pytest.raises(TemplateTampered) as err:
        other.get(template_id)
    assert err.value.code == "template_tampered"


def test_altered_ciphertext_is_detected(tmp_path: Path) -> None:
    store = TemplateStore(tmp_path / "t.db", KEY)
    template_id = store.add(_vec(1))
    with sqlite3.connect(tmp_path / "t.db") as db:
        (ct,) = db.execute("SELECT ciphertext FROM templates").fetchone()
        flipped = bytes([ct[0] ^ 1]) + ct[1:]
        db.execute("UPDATE templates SET ciphertext = ?", (flipped,))
    with pytest.raises(TemplateTampered):
        store.get(template_id)


def test_template_moved_under_another_id_is_detected(tmp_path: Path) -> None:
    """GIVEN two residents' templates WHEN one's ciphertext is copied onto the other's id
    THEN reading it fails, because the id is authenticated with the ciphertext."""
    store = TemplateStore(tmp_path / "t.db", KEY)
    a, b = store.add(_vec(1)), store.add(_vec(2))
    with sqlite3.connect(tmp_path / "t.db") as db:
        nonce, ct = db.execute(
            "SELECT nonce, ciphertext FROM templates WHERE id=?", (a,)
        ).fetchone()
        db.execute("UPDATE templates SET nonce=?, ciphertext=? WHERE id=?", (nonce, ct, b))
    with pytest.raises(TemplateTampered):
        store.get(b)


def test_deleted_template_is_gone(tmp_path: Path) -> None:
    store = TemplateStore(tmp_path / "t.db", KEY)
    keep, gone = store.add(_vec(1)), store.add(_vec(2))
    store.delete(gone)
    assert store.ids() == [keep]
    with pytest.raises(TemplateNotFound):
        store.get(gone)
    with pytest.raises(TemplateNotFound):
        store.delete(gone)


def test_key_must_be_a_256_bit_key(tmp_path: Path) -> None:
    with pytest.raises(FaceError, match="32 bytes"):
        TemplateStore(tmp_path / "t.db", b"short")
