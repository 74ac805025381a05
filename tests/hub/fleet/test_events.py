"""What the hub holds from its units, read back on SQLite and PostgreSQL."""

from sqlmodel import Session

from hub.fleet import events
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from tests.support.builders import NOW, tx


def test_event_refs_page_by_sequence(engine):
    commit_ingest_batch(engine, take([tx(n=7)], NOW).batch)
    with Session(engine) as s:
        page = events.event_refs(s, unit_id="t001", after_seq=2, limit=3)
    assert [r.seq for r in page] == [3, 4, 5]
