"""Signed configuration rollouts end to end: a real hub (API, ingest, driver) on SQLite and
PostgreSQL, a real Mosquitto with per-unit ACLs, and unit agents that verify, download, apply
and report."""

import asyncio
import json

import pytest
from sqlalchemy import select

from hub.rollouts.store import UC
from mqttio import AsyncMqttClient
from protocol import topics
from protocol.canonical import canonical_json
from protocol.seed import SEED_VILLAGES
from protocol.signing import generate_key, sign_document
from protocol.topics import Channel
from simulators.config_fleet import ConfigFleet
from tests.integration.rollout_helpers import config_agent, hub_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
SEED = json.loads(SEED_VILLAGES.read_text(encoding="utf-8"))


def own(units, database_url):
    """The test's units, different for each database: the session broker keeps retained
    configs signed by the earlier run's hub, which these units must not receive."""
    if database_url.startswith("sqlite"):
        return units
    return [f"t{int(u[1:]) + 100:03d}" for u in units]


def registry_for(tmp_path, units):
    """The seed registry with its first villages' windows run by the test broker's units."""
    data = dict(SEED)
    data["villages"] = [{**v, "unit_id": u} for v, u in zip(SEED["villages"], units, strict=False)]
    path = tmp_path / "villages.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


async def applied(agent, version, timeout=20):
    await eventually(
        lambda: agent.config.version == version, timeout, f"{agent.unit} at v{version}"
    )


async def settled(hub, rollout_id, state="completed", timeout=30):
    return await eventually(
        lambda: (s := hub.status(rollout_id)).state == state and s, timeout, f"rollout {state}"
    )


def test_every_bad_config_is_rejected_with_its_reason_and_the_old_config_keeps_running(
    broker, database_url, tmp_path
):
    """GIVEN a unit running version 2 from the hub
    WHEN tampered, foreign-key, replayed older, unsigned and malformed configs reach it
    THEN each is reported rejected with its reason, and version 2 keeps running untouched."""
    unit, other = own(["t020", "t021"], database_url)

    async def scenario():
        villages = registry_for(tmp_path, [unit])
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            agent = config_agent(broker, unit, tmp_path, hub)
            agent.start()
            first = hub.rollout(target={"units": [unit]})
            await settled(hub, first.id)
            v1 = (tmp_path / unit / "config" / "current.json").read_bytes()  # to replay later
            second = hub.rollout(target={"units": [unit]}, thresholds={"deferred_material_days": 7})
            await settled(hub, second.id)
            await applied(agent, 2)
            running = agent.config.current
            good = json.loads((tmp_path / unit / "config" / "current.json").read_bytes())
            key = hub.app.state.signing_key

            def resigned(**changes):
                doc = {**good, **changes}
                return canonical_json(sign_document(doc, key))

            tampered = {**good, "version": 3}  # changed after signing
            attempts = [
                (canonical_json(tampered), "bad_signature"),
                (canonical_json(sign_document({**good, "version": 3}, generate_key())),
                 "unknown_key"),  # a key the unit's trust list does not hold
                (v1, "stale_version"),  # a replay of the hub's own, genuinely signed, v1
                (canonical_json({k: v for k, v in tampered.items()
                                 if k not in ("sig", "alg", "key_id")}), "bad_signature"),
                (b'{"v": 1, "version": 3, "body": {', "malformed_json"),
                (resigned(version=3, unit=other), "unit_mismatch"),
            ]  # fmt: skip
            hub_client = AsyncMqttClient(
                broker.hub_url, client_id="forger", on_message=lambda m: None
            )
            task = asyncio.create_task(hub_client.run())
            await hub_client.wait_connected()
            seen = []
            for payload, code in attempts:
                # not retained: the hub's own retained v2 stays the unit's desired config
                hub_client.publish(topics.topic(unit, Channel.CONFIG), payload, qos=1)

                def rejected(code: str = code) -> bool:
                    c = hub.unit_config(unit)
                    return c.report_status == "rejected" and c.report_reason.startswith(code)

                await eventually(rejected, 10, f"the hub to record the {code} rejection")
                seen.append(hub.unit_config(unit).report_reason)
                # reset the hub's view by the next apply report: offer the retained v2 again
                hub_client.publish(
                    topics.topic(unit, Channel.CONFIG),
                    (tmp_path / unit / "config" / "current.json").read_bytes(),
                    qos=1,
                )
                await eventually(
                    lambda: hub.unit_config(unit).report_status == "applied", 10, "re-report"
                )
                assert agent.config.current is running
            await hub_client.stop()
            task.cancel()
            await agent.close()
            return seen

    reasons = asyncio.run(scenario())
    assert len(reasons) == 6
    assert "older than the running version 2" in reasons[2]


def test_a_unit_offline_during_a_rollout_applies_it_after_reconnecting(
    broker, database_url, tmp_path
):
    units = own(["t030", "t031", "t032"], database_url)

    async def scenario():
        villages = registry_for(tmp_path, units)
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            agents = {u: config_agent(broker, u, tmp_path, hub) for u in units}
            for a in agents.values():
                a.start()
            await settled(hub, hub.rollout(target={"units": units}).id)
            first, second, offline = units
            await agents[offline].close()  # the village's link goes down
            rollout = hub.rollout(target={"units": units}, thresholds={"rating_timeout_s": 90})
            await eventually(lambda: hub.status(rollout.id).counts["applied"] == 2, 20, "2 applied")
            during = hub.status(rollout.id)
            back = config_agent(broker, offline, tmp_path, hub)  # the unit restarts
            restored = back.config.version  # from its own disk, before any message
            back.start()
            await applied(back, 2)
            done = await settled(hub, rollout.id)
            for a in [agents[first], agents[second], back]:
                await a.close()
            assert back.config.current is not None
            return during, restored, done, back.config.current.thresholds.rating_timeout_s

    during, restored, done, timeout = asyncio.run(scenario())
    assert during.state == "running"
    assert during.counts["delivered"] == 1
    assert restored == 1
    assert done.counts["applied"] == 3
    assert timeout == 90


def test_a_failing_canary_pauses_the_rollout_and_the_rest_wait(broker, database_url, tmp_path):
    units = own(["t040", "t041", "t042", "t043"], database_url)

    async def scenario():
        villages = registry_for(tmp_path, units)
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            from protocol.signing import public_key_to_text

            wrong = public_key_to_text(generate_key().public_key())
            agents = [config_agent(broker, u, tmp_path, hub) for u in units[1:]]
            canary = units[0]
            agents.append(config_agent(broker, canary, tmp_path, hub, key=wrong))
            for a in agents:
                a.start()
            rollout = hub.rollout(target={"units": units}, canary=[canary])
            paused = await settled(hub, rollout.id, "paused")
            reason = hub.unit_config(canary).report_reason
            others = [a.config.version for a in agents[:-1]]
            with hub.engine.connect() as conn:
                desired = dict(conn.execute(select(UC.c.unit, UC.c.desired_version)).all())
                signed_for = {u for u, v in desired.items() if v > 0}
            from sqlmodel import Session

            from hub.rollouts import store
            from tests.integration.rollout_helpers import OPERATOR

            with Session(hub.engine) as s:
                store.resume_rollout(s, rollout_id=rollout.id, actor=OPERATOR)
            hub.app.state.driver.wake()
            done = await settled(hub, rollout.id)
            for a in agents:
                await a.close()
            return paused, reason, others, signed_for == {canary}, done

    paused, reason, others, only_canary_signed, done = asyncio.run(scenario())
    assert "1 of 1 units failed" in paused.paused_reason
    assert reason.startswith("unknown_key: ")  # the wrong key pinned: not on its trust list
    assert others == [None, None, None]
    assert only_canary_signed  # nothing was even signed for the others
    assert done.counts == {"pending": 0, "delivered": 0, "applied": 3, "rejected": 1,
                           "timed_out": 0}  # fmt: skip


def test_a_staged_rollout_over_the_76_villages_completes(fresh_broker, database_url, tmp_path):
    """GIVEN the county's 76 village units online
    WHEN the operator rolls out to all with 3 canaries, then stages of 40
    THEN every unit applies version 1, its heartbeat says so, and the dashboard shows it."""
    import httpx

    villages = [v["unit_id"] for v in SEED["villages"]]
    broker = fresh_broker(villages)

    async def scenario():
        async with hub_server(broker, database_url, tmp_path / "hub") as hub:
            agents = [config_agent(broker, u, tmp_path, hub) for u in villages]
            for a in agents:
                a.start()
            rollout = hub.rollout(target={"all": True}, canary_count=3, stage_size=40)
            done = await settled(hub, rollout.id, timeout=60)
            await eventually(
                lambda: all(hub.unit_config(u).running_version == 1 for u in villages),
                20,
                "heartbeats with version 1",
            )
            async with httpx.AsyncClient(base_url=hub.url) as web:
                page = (await web.get("/")).text + (await web.get("/fleet?limit=500")).text
            versions = {a.unit: a.config.version for a in agents}
            for a in agents:
                await a.close()
            return done, versions, page

    done, versions, page = asyncio.run(scenario())
    assert done.stages == 3
    assert [sum(c.values()) for c in done.stage_counts] == [3, 40, 33]
    assert done.counts["applied"] == 76
    assert set(versions.values()) == {1}
    assert 'data-rollout="1"' in page
    assert page.count('data-config="1"') == 76


def test_config_only_simulated_units_apply_a_rollout_like_full_agents(
    broker, database_url, tmp_path
):
    units = own([f"t{n:03d}" for n in range(50, 58)], database_url)

    async def scenario():
        villages = registry_for(tmp_path, units)
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            fleet = ConfigFleet(
                [(u, broker.creds.password_for(u)) for u in units],
                broker.url,
                tmp_path / "light",
                key=hub.app.state.signing_key.public_key(),
                hub_url=hub.url,
            )
            await fleet.start()
            assert await fleet.wait_connected(10) == len(units)
            done = await settled(hub, hub.rollout(target={"units": units}).id)
            times = fleet.applied_times(1)
            await fleet.close()
            return done, times

    done, times = asyncio.run(scenario())
    assert done.counts["applied"] == len(units)
    assert len(times) == len(units)
