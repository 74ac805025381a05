"""How long a unit keeps what it holds about residents, and the sweep that enforces it.

Signature strokes are the case's legal record and stay on the unit (only their hash goes to
the hub), but not for ever: past ``signature_retention_days`` they are deleted. An enrolled
face template is kept ``template_retention_days`` from enrolment; then the template and the
link from the resident's reference to it go (the resident enrols again with a fresh consent
if they want face verification). The sweep works on the stores' files by path, so it needs
no key, runs at start and then every ``retention_sweep_s``, and logs what it removed: a
count per store, no reference or case id. Deleted rows are overwritten (secure_delete) and
the WAL truncated, so nothing deleted survives in a file.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("bianmin.edge.retention")

SIGNATURES_FILE = "signatures.sqlite3"
TEMPLATES_FILE = "face_templates.sqlite3"
RESIDENTS_FILE = "residents.sqlite3"
DAY_S = 86400.0


@dataclass(frozen=True)
class Policy:
    signature_days: float
    template_days: float


@dataclass(frozen=True)
class Purged:
    signatures: int = 0
    templates: int = 0
    links: int = 0


def _has_table(db: sqlite3.Connection, table: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,))
    return found.fetchone() is not None


def _delete_before(path: Path, table: str, column: str, cutoff: float) -> list[str]:
    """Delete ``table``'s rows whose ``column`` is before ``cutoff``; the first column of each
    deleted row. Missing files or tables hold nothing to purge."""
    if not path.exists():
        return []
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA secure_delete = ON")
        if not _has_table(db, table):
            return []
        with db:
            gone = [
                str(r[0])
                for r in db.execute(f"SELECT * FROM {table} WHERE {column} < ?", (cutoff,))
            ]
            db.execute(f"DELETE FROM {table} WHERE {column} < ?", (cutoff,))
        if gone:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return gone


def _unlink_templates(path: Path, template_ids: list[str]) -> int:
    if not template_ids or not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA secure_delete = ON")
        if not _has_table(db, "resident_face"):
            return 0
        with db:
            marks = ",".join("?" * len(template_ids))
            sql = f"DELETE FROM resident_face WHERE template_id IN ({marks})"
            return db.execute(sql, template_ids).rowcount


def purge(data_dir: Path, policy: Policy, now: float | None = None) -> Purged:
    """Delete what is past its retention in the unit's stores under ``data_dir``."""
    now = time.time() if now is None else now
    signatures = _delete_before(
        data_dir / SIGNATURES_FILE, "signatures", "created_at", now - policy.signature_days * DAY_S
    )
    templates = _delete_before(
        data_dir / TEMPLATES_FILE, "templates", "created_at", now - policy.template_days * DAY_S
    )
    links = _unlink_templates(data_dir / RESIDENTS_FILE, templates)
    return Purged(len(signatures), len(templates), links)


async def sweep(data_dir: Path, policy: Policy, interval_s: float, unit: str) -> None:
    """Purge at start and then every ``interval_s``; a failed pass is logged and retried at
    the next one."""
    while True:
        try:
            done = await asyncio.to_thread(purge, data_dir, policy)
            if done != Purged():
                log.info(
                    "%s: retention purge removed %d signatures, %d face templates, %d links",
                    unit, done.signatures, done.templates, done.links,
                )  # fmt: skip
        except Exception:
            log.exception("%s: the retention purge failed", unit)
        await asyncio.sleep(interval_s)
