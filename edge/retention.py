"""How long a unit keeps what it holds about residents, and the sweep that enforces it.

Signature strokes are the case's legal record and stay on the unit (only their hash goes to
the hub), but not for ever: past ``signature_retention_days`` they are deleted. An enrolled
face template is kept ``template_retention_days`` from enrolment; then the template and the
link from the resident's reference to it go (the resident enrols again with a fresh consent
if they want face verification). The outbox forgets an event's payload as soon as the hub
acknowledges it and keeps only its id, sequence number and time in its delivered ledger (so a
copy the hub acknowledges again is recognised); that ledger is kept ``outbox_retention_days``
after the acknowledgement. Events the hub has not acknowledged are never deleted, however old:
they are what the hub has not got yet. Log files in the unit's ``log_dir`` (a deployment that
writes files there; by default the agent logs to the journal, which keeps its own limits) go
``log_retention_days`` after they were last written. The sweep works on the stores' files by
path, so it needs no key, runs at start and then every ``retention_sweep_s``, and logs what it
removed: a count per store, no reference or case id. Deleted rows are overwritten
(secure_delete) and the WAL truncated, so nothing deleted survives in a file.
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
OUTBOX_FILE = "outbox.sqlite3"
LOG_PATTERNS = ("*.log", "*.log.*")
DAY_S = 86400.0


@dataclass(frozen=True)
class Policy:
    signature_days: float
    template_days: float
    outbox_days: float = 90.0
    log_days: float = 30.0
    log_dir: Path | None = None


@dataclass(frozen=True)
class Purged:
    signatures: int = 0
    templates: int = 0
    links: int = 0
    delivered: int = 0  # acknowledged events' ids in the outbox's ledger
    log_files: int = 0


def has_table(db: sqlite3.Connection, table: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,))
    return found.fetchone() is not None


def _delete_before(path: Path, table: str, column: str, cutoff: float) -> list[str]:
    """Delete ``table``'s rows whose ``column`` is before ``cutoff``; the first column of each
    deleted row. Missing files or tables hold nothing to purge."""
    if not path.exists():
        return []
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA secure_delete = ON")
        if not has_table(db, table):
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
        if not has_table(db, "resident_face"):
            return 0
        with db:
            marks = ",".join("?" * len(template_ids))
            sql = f"DELETE FROM resident_face WHERE template_id IN ({marks})"
            return db.execute(sql, template_ids).rowcount


def _forget_delivered(path: Path, cutoff: float) -> int:
    """Acknowledged events' ledger rows older than ``cutoff``. Only the ``delivered`` table:
    the ``events`` table holds what the hub has not acknowledged, and is never touched here."""
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path, timeout=10)) as db:
        db.execute("PRAGMA secure_delete = ON")
        if not has_table(db, "delivered"):
            return 0
        with db:
            return db.execute("DELETE FROM delivered WHERE acked_at < ?", (cutoff,)).rowcount


def _old_logs(log_dir: Path | None, cutoff: float) -> int:
    """Delete regular log files under ``log_dir`` last written before ``cutoff``."""
    if log_dir is None or not log_dir.is_dir():
        return 0
    gone = 0
    for pattern in LOG_PATTERNS:
        for path in log_dir.glob(pattern):
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    gone += 1
            except FileNotFoundError:  # removed meanwhile (a rotation)
                continue
    return gone


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
    delivered = _forget_delivered(data_dir / OUTBOX_FILE, now - policy.outbox_days * DAY_S)
    logs = _old_logs(policy.log_dir, now - policy.log_days * DAY_S)
    return Purged(len(signatures), len(templates), links, delivered, logs)


async def sweep(data_dir: Path, policy: Policy, interval_s: float, unit: str) -> None:
    """Purge at start and then every ``interval_s``; a failed pass is logged and retried at
    the next one."""
    while True:
        try:
            done = await asyncio.to_thread(purge, data_dir, policy)
            if done != Purged():
                log.info(
                    "%s: retention purge removed %d signatures, %d face templates, %d links, "
                    "%d delivered event ids, %d log files",
                    unit, done.signatures, done.templates, done.links, done.delivered,
                    done.log_files,
                )  # fmt: skip
        except Exception:
            log.exception("%s: the retention purge failed", unit)
        await asyncio.sleep(interval_s)
