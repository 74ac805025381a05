"""The hub's signing key rotated end to end: a real hub (driver, ingest) on SQLite and
PostgreSQL, a real Mosquitto, five unit agents. The new key reaches every unit in a config
signed by the old one, the hub sees from heartbeats who trusts it, a unit restarted in the
middle keeps it, and after retirement the old key's configs and commands are refused.
Then the upgrade order: a hub upgraded before its units still configures an old agent."""

import asyncio
import json

import pytest
from sqlmodel import Session

from edge.trust import TrustStore
from hub.signing.status import KeysNotTrusted, check_promote, key_status
from mqttio import AsyncMqttClient
from protocol import config as protocol_config
from protocol import topics
from protocol.canonical import canonical_json
from protocol.config import ConfigBody
from protocol.keyring import KeyAnnouncement
from protocol.signing import sign_document
from protocol.topics import Channel
from tests.edge.notices.signed import signed as signed_notice
from tests.integration.rollout_helpers import OPERATOR, config_agent, hub_server
from tests.integration.test_config_rollout import own, registry_for, settled
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def trusted(agent) -> tuple[str, ...]:
    store = agent.config.key
    assert isinstance(store, TrustStore)
    return store.ids


def status(hub):
    keys = hub.app.state.keys
    with Session(hub.engine) as s:
        return key_status(s, keys.ring(s))


def step(hub, name):
    with Session(hub.engine) as s:
        return getattr(hub.app.state.keys, name)(s, OPERATOR)


async def roll(hub, units):
    await settled(hub, hub.rollout(target={"units": units}).id)


def signer_of(root, unit):
    return json.loads((root / unit / "config" / "current.json").read_bytes())["key_id"]


async def forger(broker):
    client = AsyncMqttClient(broker.hub_url, client_id="keyrot-forger", on_message=lambda m: None)
    task = asyncio.create_task(client.run())
    await client.wait_connected()
    return client, task


def test_a_rotation_reaches_every_unit_and_the_retired_key_is_refused_after(
    broker, database_url, tmp_path
):
    units = own([f"t04{i}" for i in range(5)], database_url)

    async def scenario():
        villages = registry_for(tmp_path, units)
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            agents = {u: config_agent(broker, u, tmp_path, hub) for u in units}
            for agent in agents.values():
                agent.start()
            await roll(hub, units)
            await eventually(lambda: status(hub).units == 5, 20, "five heartbeats")
            assert status(hub).old_schema == []

            ring = step(hub, "rotate")
            old, new = ring.current.key_id, ring.next.key_id
            with pytest.raises(KeysNotTrusted, match="0 of 5 units trust"):
                check_promote(ring, status(hub), 1.0)
            await roll(hub, units)  # signed by the old key, carrying the new one
            assert {signer_of(tmp_path, u) for u in units} == {old}
            assert all(set(trusted(a)) == {old, new} for a in agents.values())
            await eventually(lambda: status(hub).trusting[new] == 5, 20, "all trust the next")

            # a unit restarted in the middle of the rotation keeps what it trusts
            first = units[0]
            await agents[first].close()
            agents[first] = config_agent(broker, first, tmp_path, hub)
            agents[first].start()
            assert set(trusted(agents[first])) == {old, new}

            with Session(hub.engine) as s:
                check_promote(hub.app.state.keys.ring(s), status(hub), 1.0)
            step(hub, "promote")
            await roll(hub, units)
            assert {signer_of(tmp_path, u) for u in units} == {new}
            step(hub, "retire")
            await roll(hub, units)
            assert all(trusted(a) == (new,) for a in agents.values())
            await eventually(
                lambda: status(hub).on_serial == 5 and status(hub).trusting == {new: 5},
                20, "heartbeats with list 3",
            )  # fmt: skip

            # the old key, which the hub still holds, can no longer configure or command
            client, task = await forger(broker)
            unit = units[1]
            current = json.loads((tmp_path / unit / "config" / "current.json").read_bytes())
            stale = sign_document({**current, "version": current["version"] + 1},
                                  hub.app.state.signing_key)  # fmt: skip
            client.publish(topics.topic(unit, Channel.CONFIG), canonical_json(stale), qos=1)
            await eventually(
                lambda: (hub.unit_config(unit).report_reason or "").startswith("retired_key"),
                10, "the retired key's config refused",
            )  # fmt: skip
            receiver = agents[unit].notices
            assert receiver is not None
            refused, stored = receiver.stats.refused, receiver.stats.stored
            client.publish(
                topics.topic(unit, Channel.CMD),
                signed_notice(hub.app.state.signing_key, unit=unit),
                qos=1,
            )
            client.publish(
                topics.topic(unit, Channel.CMD),
                signed_notice(hub.app.state.keys.private(new), unit=unit),
                qos=1,
            )
            await eventually(
                lambda: receiver.stats.refused == refused + 1
                and receiver.stats.stored == stored + 1, 10, "old refused, new stored",
            )  # fmt: skip
            await client.stop()
            task.cancel()
            for agent in agents.values():
                await agent.close()

    asyncio.run(scenario())


class OldBody(ConfigBody):
    """A body as an agent from before key rotation validates it: no ``keys`` field."""

    keys: None = None


def test_a_hub_upgraded_before_its_unit_configures_the_old_agent_then_the_upgraded_one(
    broker, database_url, tmp_path, monkeypatch
):
    """GIVEN a hub that has rotated its key (so bodies carry the key list, schema 2)
    WHEN a unit whose agent reads schema 1 (and says no schema in its heartbeat) is configured
    THEN it gets a body without the key list, applies it, and the rollout view says why;
    once its agent is upgraded, its next config carries the key list and it trusts the key."""
    unit = own(["t049"], database_url)[0]

    async def scenario():
        villages = registry_for(tmp_path, [unit])
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            new = step(hub, "rotate").next.key_id
            with monkeypatch.context() as old_agent:
                old_agent.setattr(protocol_config, "ConfigBody", OldBody)
                old_agent.setattr("edge.health.CONFIG_SCHEMA_VERSION", None)
                agent = config_agent(broker, unit, tmp_path, hub)
                agent.start()
                await eventually(lambda: status(hub).units == 1, 20, "a heartbeat")
                assert status(hub).old_schema == [unit]
                rollout = hub.rollout(target={"units": [unit]})
                await settled(hub, rollout.id)
                assert new not in trusted(agent)
                body = json.loads((tmp_path / unit / "config" / "current.json").read_bytes())
                assert "keys" not in body["body"]
                assert body["body"]["schema_version"] == 1
                with Session(hub.engine) as s:
                    from hub.rollouts.store import rollout_units

                    (row,) = rollout_units(s, rollout_id=rollout.id)
                assert "schema 1" in (row.schema_note or "")
                assert "keys" in (row.schema_note or "")
                await agent.close()
            agent = config_agent(broker, unit, tmp_path, hub)  # the agent upgraded
            agent.start()
            await eventually(lambda: status(hub).old_schema == [], 20, "a schema-2 heartbeat")
            await roll(hub, [unit])
            body = json.loads((tmp_path / unit / "config" / "current.json").read_bytes())
            assert KeyAnnouncement.model_validate(body["body"]["keys"]).serial == 1
            assert new in trusted(agent)
            await agent.close()

    asyncio.run(scenario())
