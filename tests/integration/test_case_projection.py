"""Cases from real unit agents reach the running hub's case table: through Mosquitto, the
hub's ingest, and the projector that `hub serve` runs after every commit."""

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from hub.cases.project import RECORDS
from simulators.cases import CaseSimulator
from tests.integration.rollout_helpers import config_agent, hub_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def test_cases_committed_by_units_are_projected_by_the_serving_hub(broker, database_url, tmp_path):
    async def scenario():
        async with hub_server(broker, database_url, tmp_path / "hub") as hub:
            agents = [config_agent(broker, u, tmp_path, hub) for u in ("t001", "t002")]
            sims = {a.unit: CaseSimulator(unit=a.unit) for a in agents}
            for agent in agents:
                agent.start()
            opened = 0
            for agent in agents:
                for _ in range(120):
                    t = sims[agent.unit].next_transition()
                    opened += t.state == "opened"
                    await agent.event_log.append(t)
            await asyncio.wait_for(asyncio.gather(*(a.wait_drained() for a in agents)), 30)

            def projected() -> int:
                with hub.engine.connect() as conn:
                    return int(conn.execute(select(func.count()).select_from(RECORDS)).scalar_one())

            await eventually(lambda: projected() == opened, 15, "every opened case projected")
            with hub.engine.connect() as conn:
                units = set(conn.execute(select(RECORDS.c.unit)).scalars())
            async with httpx.AsyncClient() as http:
                metrics = (await http.get(f"{hub.url}/metrics")).text
            for agent in agents:
                await agent.close()
            return opened, units, hub.app.state.projector.stats, metrics

    opened, units, stats, metrics = asyncio.run(scenario())
    # every event stored once, however often a unit resent it
    stored = next(s for s in metrics.splitlines() if s.startswith("bianmin_ingest_inserted_total"))
    assert float(stored.split()[-1]) == 240
    assert "bianmin_ingest_batch_messages_bucket" in metrics
    assert "bianmin_broker_connected 1.0" in metrics
    assert opened >= 10
    assert units == {"t001", "t002"}
    assert stats.errors == 0
