"""Units and the hub talk through a real Mosquitto into a real database."""

import asyncio

import pytest
from sqlmodel import Session

from hub.errors import UnitNotFound
from hub.fleet.events import all_event_ids
from hub.fleet.units import get_unit
from simulators.cases import CaseSimulator
from simulators.summary import compare
from tests.integration.helpers import running_hub, unit_agent
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def test_three_units_deliver_300_events_to_the_hub_exactly_once(broker, database_url, tmp_path):
    """GIVEN three units with 100 committed events each and a hub on SQLite or PostgreSQL
    WHEN the units publish through Mosquitto
    THEN every event is in the hub database exactly once and every unit's log is empty."""

    async def scenario():
        async with running_hub(broker, database_url) as hub:
            agents = [unit_agent(broker, u, tmp_path) for u in ("t001", "t002", "t003")]
            for agent in agents:
                agent.start()
            sim = CaseSimulator()
            for agent in agents:  # each link wakes on its log's commits by itself
                for _ in range(100):
                    await agent.event_log.append(sim.next_transition())
            await asyncio.wait_for(asyncio.gather(*(a.wait_drained() for a in agents)), 30)
            committed = {a.unit: a.event_log.committed() for a in agents}
            with hub.engine.connect() as conn:
                rows = all_event_ids(conn, units=list(committed))
            for agent in agents:
                await agent.close()
            return committed, rows, hub.snapshot()

    committed, rows, stats = asyncio.run(scenario())
    summary = compare(committed, [(u, str(i), s) for u, i, s in rows])
    assert summary.committed_by_units == 300
    assert summary.in_hub == 300
    assert summary.exact, summary
    assert stats["dead_letters"] == 0


def test_presence_and_heartbeat_reach_the_hub(broker, database_url, tmp_path):
    async def scenario():
        async with running_hub(broker, database_url) as hub:

            def hub_view():
                with Session(hub.engine) as s:
                    try:
                        return get_unit(s, unit_id="t004", stale_after_s=60)
                    except UnitNotFound:  # its first message is not in yet
                        return None

            agent = unit_agent(broker, "t004", tmp_path)
            agent.start()
            await asyncio.wait_for(agent.link.client.wait_connected(), 10)
            agent.health.publish()
            unit = await eventually(
                lambda: (u := hub_view()) is not None and u.online and u.health and u,
                10,
                "t004 online with its heartbeat",
            )
            await agent.close()
            after = await eventually(
                lambda: (u := hub_view()) is not None and not u.online and u, 10, "t004 offline"
            )
            return unit, after

    unit, after = asyncio.run(scenario())
    assert unit is not None
    assert unit.online
    assert unit.health is not None
    assert unit.health["devices"]["printer"]["paper"] == "ok"
    assert after is not None
    assert not after.online
