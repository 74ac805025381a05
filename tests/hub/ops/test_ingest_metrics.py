"""/metrics while the ingest consumer runs against a real Mosquitto (SQLite and PostgreSQL):
the rate counters, the lag of messages waiting for the database, batch sizes, dead letters
by reason, units online and rollouts by state, all named as the operator's dashboards read
them."""

import asyncio
import threading
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from hub.ingest import isolation
from hub.ingest.batch import commit_ingest_batch
from hub.metrics import HubCollector
from tests.support.ingest import running
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
UNIT = "t190"


def scrape(consumer, engine) -> dict:
    registry = CollectorRegistry()
    app = SimpleNamespace(state=SimpleNamespace(consumer=consumer, projector=None, engine=engine))
    registry.register(HubCollector(app))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_ingest_metrics_show_rate_lag_batch_sizes_and_dead_letters(
    fresh_broker, engine, database_url, monkeypatch
):
    """GIVEN the first commit held WHEN more messages arrive THEN the lag grows; once commits
    go on the counters, the batch histogram and the dead letters by reason say what happened
    and the lag is back to 0."""
    broker = fresh_broker([UNIT])
    release, entered = threading.Event(), threading.Event()

    def held(engine_, batch):
        entered.set()
        release.wait(30)
        return commit_ingest_batch(engine_, batch)

    monkeypatch.setattr(isolation, "commit_ingest_batch", held)

    async def scenario():
        async with running(broker, engine, database_url, [UNIT]) as (consumer, _, (unit,)):
            sent = unit.send_batch(n=3)
            await eventually(entered.is_set, 10, "the held commit")
            sent |= unit.send_batch(n=2, seq0=4)
            unit.send(b"{not json")
            await eventually(lambda: consumer.snapshot()["queued"] == 2, 10, "two queued")
            await asyncio.sleep(0.3)
            waiting = scrape(consumer, engine)
            assert waiting[("bianmin_ingest_lag_seconds", ())] >= 0.3
            assert waiting[("bianmin_ingest_queued", ())] == 2
            release.set()
            await eventually(lambda: unit.acked == sent, 10, "every event acknowledged")
            await eventually(lambda: consumer.snapshot()["queued"] == 0, 10, "queue drained")
            return scrape(consumer, engine)

    done = asyncio.run(scenario())
    assert done[("bianmin_ingest_lag_seconds", ())] == 0
    assert done[("bianmin_ingest_messages_total", ())] == 3
    assert done[("bianmin_ingest_events_total", ())] == 5
    assert done[("bianmin_ingest_inserted_total", ())] == 5
    assert done[("bianmin_ingest_dead_letters_total", ())] == 1
    batches = done[("bianmin_ingest_batch_messages_count", ())]
    assert batches == done[("bianmin_ingest_batches_total", ())] >= 2
    assert done[("bianmin_ingest_batch_messages_sum", ())] == 3
    (reason,) = [k for k in done if k[0] == "bianmin_dead_letters"]
    assert done[reason] == 1
    assert dict(reason[1])["reason"]
    assert ("bianmin_broker_connected", ()) in done
