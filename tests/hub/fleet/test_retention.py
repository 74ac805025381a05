"""Dead letters are kept for the retention period and within the quota: the arithmetic (pure),
the sweep on SQLite and PostgreSQL, and a flood from a unit through a real Mosquitto."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select

from hub.fleet.retention import ROW_BYTES, DeadLetterPolicy, DeadLetterSweeper, prune_dead_letters
from hub.ingest.batch import IngestBatch, commit_ingest_batch
from hub.ingest.deadletter import dead_letter
from hub.models import DeadLetter
from hub.settings import HubSettings
from tests.support.builders import NOW
from tests.support.hostile import TX, UNIT, hostile_unit
from tests.support.waiting import eventually

DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
MiB = 1024 * 1024


def _policy(days=30, rows=1000):
    return DeadLetterPolicy(timedelta(days=days), rows * ROW_BYTES)


def test_a_row_at_its_worst_fits_the_bytes_the_quota_counts_for_it():
    worst = dead_letter(
        topic="t" * 10_000, unit="u" * 64, reason_code="c" * 100, reason="字" * 10_000,
        payload=b"p" * 10_000_000, received_at=NOW,
    )  # fmt: skip
    stored = sum(len(v.encode() if isinstance(v, str) else v) for v in worst.values()
                 if isinstance(v, str | bytes))  # fmt: skip
    assert stored + 3 * 8 <= ROW_BYTES


def test_the_quota_in_bytes_becomes_a_number_of_rows_never_zero():
    assert DeadLetterPolicy(timedelta(days=1), 64 * MiB).max_rows == 64 * MiB // ROW_BYTES
    assert DeadLetterPolicy(timedelta(days=1), 1).max_rows == 1
    assert _policy(rows=1000).burst_rows == 100


def test_the_default_settings_keep_thirty_days_and_about_28_thousand_rows():
    policy = DeadLetterPolicy.from_settings(HubSettings())
    assert policy.retention == timedelta(days=30)
    assert policy.cutoff(NOW) == NOW - timedelta(days=30)
    assert 20_000 < policy.max_rows < 40_000


def test_a_sweep_is_due_on_the_clock_or_after_a_burst_of_dead_letters():
    never_used = create_engine("sqlite://")
    sweeper = DeadLetterSweeper(never_used, _policy(rows=1000), every_s=60, dead_letters=lambda: 0)
    assert not sweeper.due(since_s=59, new_dead_letters=99)
    assert sweeper.due(since_s=60, new_dead_letters=0)
    assert sweeper.due(since_s=1, new_dead_letters=100)


def _store(engine, ages, now=NOW):
    """One dead letter per age (time before ``now``), oldest first, committed as ingest does."""
    batch = IngestBatch()
    for age in ages:
        batch.dead.append(dead_letter(
            topic="bianmin/v1/u/t001/tx", unit="t001", reason_code="malformed_json",
            reason="bad", payload=b"{", received_at=now - age,
        ))  # fmt: skip
    commit_ingest_batch(engine, batch)


def _ages(engine):
    with engine.connect() as conn:
        rows = conn.execute(select(DEAD.c.received_at).order_by(DEAD.c.id)).scalars()
        return [NOW - at for at in rows]


def test_dead_letters_past_the_retention_period_are_deleted(engine):
    _store(engine, [timedelta(days=40), timedelta(days=31), timedelta(days=29), timedelta(0)])
    with engine.begin() as conn:
        pruned = prune_dead_letters(conn, _policy(days=30), NOW)
    assert (pruned.expired, pruned.over_quota) == (2, 0)
    assert _ages(engine) == [timedelta(days=29), timedelta(0)]


def test_past_the_quota_the_oldest_dead_letters_go_first(engine):
    ages = [timedelta(minutes=60 - n) for n in range(60)]
    _store(engine, ages)
    with engine.begin() as conn:
        pruned = prune_dead_letters(conn, _policy(rows=25), NOW)
    assert (pruned.expired, pruned.over_quota) == (0, 35)
    assert _ages(engine) == ages[35:]


def test_a_sweep_within_retention_and_quota_deletes_nothing(engine):
    _store(engine, [timedelta(days=1)] * 3, now=datetime.now(UTC))  # the sweep's own clock
    sweeper = DeadLetterSweeper(engine, _policy(), every_s=60, dead_letters=lambda: 0)
    pruned = sweeper.sweep()
    assert (pruned.expired, pruned.over_quota) == (0, 0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DEAD)).scalar_one() == 3


@pytest.mark.integration
def test_a_flood_of_refused_messages_is_swept_under_the_quota_before_the_clock_says_so(
    fresh_broker, database_url, engine
):
    broker = fresh_broker([UNIT])
    # 64 KiB: 28 rows at their worst, swept every 2 new dead letters; the clock: in an hour
    policy = DeadLetterPolicy(timedelta(days=30), 64 * 1024)

    def count():
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(DEAD)).scalar_one()

    async def flood():
        async with hostile_unit(broker, database_url, engine) as (consumer, unit):
            sweeper = DeadLetterSweeper(
                engine, policy, every_s=3600, tick_s=0.05,
                dead_letters=lambda: consumer.stats.dead_letters,
            )  # fmt: skip
            sweeping = asyncio.create_task(sweeper.run())
            try:
                for n in range(300):
                    unit.publish(TX, b"{not json %d" % n, qos=1)
                await eventually(lambda: consumer.stats.dead_letters == 300, 30, "300 refused")
                # the sweeper's own count: the rows may be gone before its thread reports back
                await eventually(lambda: sweeper.pruned >= 300 - policy.max_rows, 10, "a sweep")
            finally:
                sweeping.cancel()
                await asyncio.gather(sweeping, return_exceptions=True)
            return sweeper.pruned

    assert asyncio.run(flood()) >= 300 - policy.max_rows
    with engine.connect() as conn:
        kept = conn.execute(select(DEAD.c.reason).order_by(DEAD.c.id.desc())).scalars().all()
    assert 0 < len(kept) <= policy.max_rows


def test_operator_commands_answered_or_expired_past_their_retention_are_swept(engine):
    """GIVEN commands answered or expired 181+ days ago, recently, and still open
    WHEN the retention sweep runs with the default 180 days
    THEN only the closed ones past 180 days (answer and expiry both) are deleted."""
    import uuid as uuid_

    from hub.commands.tables import COMMANDS

    now = datetime.now(UTC)
    day = timedelta(days=1)

    def row(state, issued_days, answered_days=None):
        issued = now - issued_days * day
        answered = None if answered_days is None else now - answered_days * day
        return {
            "id": uuid_.uuid4(), "unit": "dongjie-cun", "name": "reboot", "args": {},
            "issued_by": "ops", "issued_at": issued, "expires_at": issued + day,
            "state": state, "answered_at": answered, "next_at": issued, "attempts": 1,
        }  # fmt: skip

    gone = [row("ok", 200, 199.5), row("expired", 190), row("failed", 185, 184.9)]
    kept = [
        row("ok", 10, 9.9), row("expired", 179.5),
        row("ok", 200, 20),  # expired long ago, but its ok answer came 20 days ago
        row("sent", 400), row("pending", 400),  # open: the expiry pass closes them first
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(COMMANDS.insert(), gone + kept)
    assert HubSettings().command_retention_days == 180
    sweeper = DeadLetterSweeper(
        engine, _policy(), every_s=60, dead_letters=lambda: 0,
        command_retention=timedelta(days=HubSettings().command_retention_days),
    )  # fmt: skip
    assert sweeper.sweep().commands == 3
    with engine.connect() as conn:
        left = set(conn.execute(select(COMMANDS.c.id)).scalars())
    assert left == {r["id"] for r in kept}
    assert sweeper.sweep().commands == 0
