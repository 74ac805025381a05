"""The rollout probe of issue 10, end to end: a real hub (API, ingest and driver) on SQLite
and PostgreSQL, a real Mosquitto, two unit agents that verify, download, apply and report, and
a third unit, played by the test with that unit's own credentials, whose heartbeat claims
config version 2^63-1 and which never reports."""

import asyncio
import json

import pytest
from sqlmodel import Session

from hub.models import Unit
from hub.rollouts import store
from mqttio import AsyncMqttClient
from protocol.seed import SEED_VILLAGES
from protocol.topics import Channel, topic, unit_client_id
from tests.integration.rollout_helpers import OPERATOR, config_agent, hub_server
from tests.support.builders import heartbeat
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
INT64_MAX = 2**63 - 1  # spelled out: this probe also runs against the code before the fix
SEED = json.loads(SEED_VILLAGES.read_text(encoding="utf-8"))


def units_for(database_url):
    """Units of their own per database: the session broker keeps retained configs."""
    base = 70 if database_url.startswith("sqlite") else 170
    return [f"t{base + n:03d}" for n in range(3)]


def registry_for(tmp_path, units):
    data = dict(SEED)
    data["villages"] = [{**v, "unit_id": u} for v, u in zip(SEED["villages"], units, strict=False)]
    path = tmp_path / "villages.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


async def lie_about_the_version(client, unit, stop):
    while not stop.is_set():
        beat = heartbeat(unit, config_version=INT64_MAX)
        client.publish(topic(unit, Channel.HEALTH), beat.payload, qos=0)
        await asyncio.sleep(0.3)


def test_a_heartbeat_claiming_2_63_minus_1_stalls_no_rollout_and_the_rollback_works(
    broker, database_url, tmp_path
):
    """GIVEN a unit whose heartbeat claims config version 2^63-1
    WHEN the operator rolls out to it and two good units, rolls out again, and rolls that back
    THEN each rollout completes (the silent unit times out), the good units apply versions
    1, 2 and 3 (the rollback, with the first body), and the claim is a recorded anomaly."""
    *good, bad = units_for(database_url)
    spec = {"target": {"units": [*good, bad]}, "failure_threshold": 0.5, "timeout_s": 3}

    async def settled(hub, rollout_id):
        return await eventually(
            lambda: (s := hub.status(rollout_id)).state == "completed" and s, 30, "completed"
        )

    async def scenario():
        registry = registry_for(tmp_path, [*good, bad])
        hub_dir = tmp_path / "hub"
        async with hub_server(broker, database_url, hub_dir, villages_file=registry) as hub:
            liar = AsyncMqttClient(
                broker.unit_url(bad), client_id=unit_client_id(bad), on_message=lambda _: None
            )
            stop = asyncio.Event()
            tasks = [asyncio.create_task(liar.run())]
            await asyncio.wait_for(liar.wait_connected(), 10)
            tasks.append(asyncio.create_task(lie_about_the_version(liar, bad, stop)))
            agents = [config_agent(broker, u, tmp_path, hub) for u in good]
            for agent in agents:
                agent.start()
            try:
                await eventually(lambda: running_version(hub, bad) == INT64_MAX, 10, "the lie")
                first = hub.rollout(**spec)
                await settled(hub, first.id)
                second = hub.rollout(**spec, thresholds={"deferred_material_days": 7})
                done = await settled(hub, second.id)
                await eventually(lambda: versions(agents) == [2, 2], 10, "version 2 applied")
                with Session(hub.engine) as s:
                    back = store.rollback_rollout(s, rollout_id=second.id, actor=OPERATOR)
                hub.app.state.driver.wake()
                await settled(hub, back.id)
                await eventually(lambda: versions(agents) == [3, 3], 10, "the rollback applied")
                days = [deferred_days(a) for a in agents]
                return done, days, hub.unit_config(bad)
            finally:
                stop.set()
                for agent in agents:
                    await agent.close()
                await liar.stop()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    done, days, bad_config = asyncio.run(scenario())
    assert (done.counts["applied"], done.counts["timed_out"]) == (2, 1)
    assert days == [5, 5]  # the first rollout's body again
    assert (bad_config.anomaly, bad_config.anomaly_version) == (True, INT64_MAX)
    assert bad_config.desired_version == 3  # one above what the hub issued, never 2^63


def running_version(hub, unit):
    with Session(hub.engine) as s:
        row = s.get(Unit, unit)
        return row.config_version if row else None


def versions(agents):
    return [a.config.version for a in agents]


def deferred_days(agent):
    running = agent.config.current
    assert running is not None
    return running.thresholds.deferred_material_days
