"""Migration 0010 adds the facts the indicators measure to case_record and queues every
existing record to be projected again, so the hub fills them in by itself (SQLite and
PostgreSQL)."""

from alembic import command
from sqlalchemy import select

from hub.cases.project import PENDING, RECORDS
from hub.db import create_tables, make_engine
from hub.migrations import runner
from tests.hub.cases.ingested import drain
from tests.hub.indicators.county import seed


def test_records_from_before_0010_are_queued_and_projected_with_their_steps(database_url):
    engine = make_engine(database_url)
    try:
        create_tables(engine)
        ids = seed(engine)
        with engine.begin() as conn:
            assert conn.execute(select(PENDING)).all() == []
            command.downgrade(runner.config(conn), "0009")
        runner.upgrade(engine)
        with engine.begin() as conn:
            queued = set(conn.execute(select(PENDING.c.case_id)).scalars())
            assert queued == set(ids.values())
            assert set(conn.execute(select(RECORDS.c.steps_taken)).scalars()) == {None}
        drain(engine)
        with engine.connect() as conn:
            rows = conn.execute(select(RECORDS.c.case_id, RECORDS.c.steps_taken)).all()
        steps = {r.case_id: r.steps_taken for r in rows}
        assert steps[ids["A"]] == 2
        assert steps[ids["H"]] == 4  # 窗口受理, then the town's 受理, 补正 and 办结
        assert runner.drift(engine) == []
    finally:
        engine.dispose()
