"""What only the SQLite log promises: it survives the process, an existing unit's file resumes,
commits leave the event loop, and readers never wait for them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from datetime import UTC, datetime

from edge.eventlog import SqliteEventLog, read_committed
from protocol.ids import uuid7
from protocol.messages import CaseEnvelope
from tests.support.builders import transition

# The file as units have written it since the first release: it must keep opening.
RELEASED_SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ts TEXT NOT NULL,
                     payload BLOB NOT NULL);
CREATE TABLE delivered (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, acked_at REAL NOT NULL);
CREATE INDEX delivered_acked_at ON delivered (acked_at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE unit_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def test_everything_survives_closing_and_reopening(tmp_path, run):
    path = tmp_path / "outbox.sqlite3"
    log = SqliteEventLog(path, "t001")
    envs = run(log.append_many([transition(), transition(), transition()], state={"case": "open"}))
    run(log.acknowledge([envs[0].id]))
    size = log.size_bytes
    run(log.close())

    again = SqliteEventLog(path, "t001")
    assert (again.depth, again.size_bytes, again.last_seq) == (2, size, 3)
    assert [e.seq for e in again.after(0, 10)] == [2, 3]
    assert again.get_state("case") == "open"
    assert again.committed() == {str(e.id): e.seq for e in envs}
    assert run(again.append(transition())).seq == 4
    run(again.close())


def test_sequence_numbers_are_never_reused_after_everything_was_acknowledged_and_pruned(
    tmp_path, run
):
    path = tmp_path / "outbox.sqlite3"
    log = SqliteEventLog(path, "t001")
    envs = run(log.append_many([transition(), transition()]))
    run(log.acknowledge(e.id for e in envs))
    assert run(log.prune(older_than_s=-1)) == 2
    run(log.close())
    again = SqliteEventLog(path, "t001")
    assert again.committed() == {}
    assert run(again.append(transition())).seq == 3
    run(again.close())


def test_a_file_written_by_an_earlier_release_opens_and_resumes(tmp_path, run):
    path = tmp_path / "outbox.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(RELEASED_SCHEMA)
    at = datetime(2025, 1, 2, tzinfo=UTC)
    env = CaseEnvelope(id=uuid7(), unit="t001", seq=7, ts=at, body=transition())
    db.execute(
        "INSERT INTO events VALUES (?, ?, ?, ?)",
        (7, str(env.id), env.ts.isoformat(), env.model_dump_json().encode()),
    )
    db.execute("INSERT INTO delivered VALUES (?, 9, 0)", (str(uuid7()),))
    db.execute("INSERT INTO meta VALUES ('last_seq', '9')")
    db.execute("INSERT INTO unit_state VALUES ('workflow.open_case', '{}')")
    db.commit()
    db.close()

    log = SqliteEventLog(path, "t001")
    assert (log.depth, log.last_seq) == (1, 9)
    assert [e.id for e in log.after(0, 10)] == [str(env.id)]
    assert log.get_state("workflow.open_case") == "{}"
    assert run(log.append(transition())).seq == 10
    run(log.close())


def test_another_process_reads_what_is_committed_while_the_unit_runs(tmp_path, run):
    path = tmp_path / "outbox.sqlite3"
    log = SqliteEventLog(path, "t001")
    envs = run(log.append_many([transition(), transition()]))
    run(log.acknowledge([envs[0].id]))
    assert read_committed(path) == {str(e.id): e.seq for e in envs}
    later = run(log.append(transition()))
    assert read_committed(path)[str(later.id)] == 3
    run(log.close())


def test_commits_run_in_a_worker_thread_not_on_the_event_loop(tmp_path, run):
    log = SqliteEventLog(tmp_path / "outbox.sqlite3", "t001")
    threads: list[int] = []
    storage = log._storage
    insert = storage.insert

    def spying_insert(*args):
        threads.append(threading.get_ident())
        return insert(*args)

    storage.insert = spying_insert  # type: ignore[method-assign]
    run(log.append(transition()))
    assert threads
    assert threads[0] != threading.get_ident()
    run(log.close())


def test_reads_on_the_loop_neither_wait_for_a_write_in_progress_nor_see_it(tmp_path, run):
    """GIVEN another connection holding a write transaction open (as a slow fsync would)
    WHEN the link reads for sending THEN it gets the committed events at once, and only them."""
    path = tmp_path / "outbox.sqlite3"
    log = SqliteEventLog(path, "t001")
    run(log.append(transition()))
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO events VALUES (99, 'uncommitted', 'x', x'00')")
    try:
        assert [e.seq for e in log.after(0, 10)] == [1]
        assert log.by_seqs([1, 99])[0].seq == 1
        assert len(log.committed()) == 1
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    run(log.close())


def test_an_open_log_holds_few_file_descriptors(tmp_path, run):
    """Thousands of simulated units share one process: each log may hold at most five
    (writer and reader on the file and its WAL, one shared -shm)."""

    async def open_many() -> int:
        before = len(os.listdir("/proc/self/fd"))
        logs = [
            SqliteEventLog(tmp_path / f"u{i}.sqlite3", "t001", durable=False) for i in range(20)
        ]
        for log in logs:
            await log.append(transition())
            log.after(0, 1)
        held = len(os.listdir("/proc/self/fd")) - before
        await asyncio.gather(*(log.close() for log in logs))
        return held

    assert run(open_many()) <= 5 * 20
