"""What a window keeps about residents is deleted when its time is up: face templates (and
the link from a resident's reference to them) a year after enrolment, signature strokes three
years after the case; nothing newer is touched, and a deleted template's ciphertext is gone
from the file, not only unlinked. The outbox forgets acknowledged events' ids after its
retention and never deletes an unacknowledged event; old log files go. Real stores on SQLite
files; time moved by ``now``."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta

import numpy as np

from edge import retention
from edge.face.templates import TemplateStore
from edge.settings import EdgeSettings
from edge.window.residents import ResidentFaces
from edge.window.signatures import SignatureArchive
from tests.support.waiting import eventually

DAY = retention.DAY_S
POLICY = retention.Policy(signature_days=3 * 365, template_days=365)


def _stores(root):
    signatures = SignatureArchive(root / retention.SIGNATURES_FILE, bytes(32))
    templates = TemplateStore(root / retention.TEMPLATES_FILE, bytes(range(32)))
    residents = ResidentFaces(root / retention.RESIDENTS_FILE)
    return signatures, templates, residents


def test_templates_go_after_a_year_and_signatures_after_three(tmp_path):
    signatures, templates, residents = _stores(tmp_path)
    signatures.put("case-1", "signature", b"strokes of case 1")
    template = templates.add(np.ones(128, "<f4"))
    residents.link("ref-1", template, "3301**********0011")
    start = time.time()

    assert retention.purge(tmp_path, POLICY, now=start + 30 * DAY) == retention.Purged()
    assert len(templates) == 1

    later = retention.purge(tmp_path, POLICY, now=start + 366 * DAY)
    assert later == retention.Purged(signatures=0, templates=1, links=1)
    assert len(templates) == 0
    assert residents.template_for("ref-1") is None
    assert signatures.get("case-1", "signature") == b"strokes of case 1"

    last = retention.purge(tmp_path, POLICY, now=start + 3 * 366 * DAY)
    assert last == retention.Purged(signatures=1)
    assert signatures.get("case-1", "signature") is None


def test_a_purged_templates_bytes_are_overwritten_in_the_file(tmp_path):
    _signatures, templates, _residents = _stores(tmp_path)
    template = templates.add(np.full(128, 0.25, "<f4"))
    path = tmp_path / retention.TEMPLATES_FILE
    with templates._db() as db:  # the stored ciphertext, to look for afterwards
        (ct,) = db.execute("SELECT ciphertext FROM templates WHERE id = ?", (template,)).fetchone()
    retention.purge(tmp_path, POLICY, now=time.time() + 400 * DAY)
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob(path.name + "*"))
    assert bytes(ct)[:32] not in on_disk


def test_the_sweep_purges_at_start_and_logs_counts_not_case_ids(tmp_path, caplog):
    caplog.set_level(logging.INFO, "bianmin.edge.retention")
    signatures, _templates, _residents = _stores(tmp_path)
    signatures.put("case-old", "signature", b"old strokes")
    signatures.put("case-new", "signature", b"new strokes")
    with signatures._db() as db:  # one case signed four years ago
        db.execute(
            "UPDATE signatures SET created_at = ? WHERE case_id = 'case-old'",
            (time.time() - 4 * 365 * DAY,),
        )
    defaults = EdgeSettings(unit_id="t001", data_dir=tmp_path)
    policy = retention.Policy(defaults.signature_retention_days, defaults.template_retention_days)

    async def start():
        task = asyncio.create_task(retention.sweep(tmp_path, policy, 3600, "t001"))
        try:
            await eventually(
                lambda: "removed 1 signatures" in caplog.text, 10, "the first purge", poll=0.01
            )
        finally:
            task.cancel()

    asyncio.run(start())
    assert signatures.get("case-old", "signature") is None
    assert signatures.get("case-new", "signature") == b"new strokes"
    assert "case-old" not in caplog.text  # counts only, no case id


def _outbox(root, acked_days_ago: float):
    """An outbox with four events: the two the hub acknowledged ``acked_days_ago`` days ago
    and two it never did (one of them written a year ago)."""
    from edge.eventlog import SqliteEventLog
    from protocol.messages import CaseTransition

    clock = time.time() - acked_days_ago * DAY
    log = SqliteEventLog(root / retention.OUTBOX_FILE, "t001", durable=False, clock=lambda: clock)

    async def fill() -> list[str]:
        year_ago = datetime.now(UTC) - timedelta(days=365)
        envs = [
            await log.append(CaseTransition(case_id=uuid.uuid4(), state="opened"), year_ago)
            for _ in range(4)
        ]
        await log.acknowledge([envs[1].id, envs[3].id])
        await log.close()
        return [str(e.id) for e in envs]

    return asyncio.run(fill())


def _rows(root, table: str) -> set[str]:
    with closing(sqlite3.connect(root / retention.OUTBOX_FILE)) as db:
        return {r[0] for r in db.execute(f"SELECT id FROM {table}")}


def test_acknowledged_event_ids_go_after_the_outbox_retention_and_unacknowledged_events_stay(
    tmp_path,
):
    ids = _outbox(tmp_path, acked_days_ago=10)
    policy = retention.Policy(3 * 365, 365, outbox_days=30)

    assert retention.purge(tmp_path, policy).delivered == 0  # acknowledged 10 days ago: kept
    assert _rows(tmp_path, "delivered") == {ids[1], ids[3]}

    later = retention.purge(tmp_path, policy, now=time.time() + 25 * DAY)
    assert later.delivered == 2
    assert _rows(tmp_path, "delivered") == set()
    # a year old and never acknowledged: still there, however old
    assert _rows(tmp_path, "events") == {ids[0], ids[2]}
    far = retention.purge(tmp_path, policy, now=time.time() + 10 * 365 * DAY)
    assert _rows(tmp_path, "events") == {ids[0], ids[2]}
    assert far.delivered == 0


def test_log_files_go_after_the_log_retention_and_other_files_stay(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    old = time.time() - 40 * DAY
    for name in ("agent.log.2026-10-01", "agent.log", "notes.txt"):
        (logs / name).write_text("line\n")
        os.utime(logs / name, (old, old))
    (logs / "agent.log.2026-11-27").write_text("recent\n")
    policy = retention.Policy(3 * 365, 365, log_days=30, log_dir=logs)

    done = retention.purge(tmp_path / "data", policy)

    assert done.log_files == 2
    assert sorted(p.name for p in logs.iterdir()) == ["agent.log.2026-11-27", "notes.txt"]


def test_the_settings_give_the_outbox_and_log_retention_to_the_sweep_by_default():
    s = EdgeSettings(unit_id="t001", data_dir="/tmp/unused")
    assert (s.outbox_retention_days, s.log_retention_days, s.log_dir) == (90.0, 30.0, None)
