"""Operator commands, live rotation and revocation on the real Mosquitto with its
dynamic-security plugin, a served hub (SQLite and PostgreSQL) and unit agents:

- every command kind goes out signed, is done once, answered, stored with its outcome and
  audited; the unit page lists them; a forged, an unsigned and an unknown command are refused
  and answered;
- `provision rotate --live` (provisioning.live) while a unit keeps sending: the unit switches
  to the new password, the old one is refused, the new one works, no event is lost;
- `provision revoke` on a live broker: the unit is disconnected at once and cannot come back,
  its token is refused, its retained topics are empty, what still arrives under its id is
  dead-lettered."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from bianmin.cli import app as cli_app
from edge.agent import Agent, build_agent
from edge.settings import EdgeSettings
from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.audit import AUDIT
from hub.ingest.batch import DEAD
from hub.window.tokens import issue_unit_token
from protocol import topics
from protocol.canonical import canonical_json
from protocol.command import COMMAND_KIND
from protocol.messages import CaseTransition, TxBatch, encode, envelope_for
from protocol.signing import generate_key, sign_document
from protocol.topics import Channel
from protocol.unit_identity import UnitIdentity
from provisioning.live import HubApi
from provisioning.store import IdentityStore
from simulators.kit import SimulatedKit
from simulators.printer import VirtualPrinter
from simulators.reboot import SimulatedRebooter
from tests.integration.helpers import FAST_LINK
from tests.integration.rollout_helpers import Hub, hub_server
from tests.support.brokers import connected, listener, try_connect
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
UNIT = "dongjie-cun"  # a village of 清水镇 in the seed registry
OTHER = "xijie-cun"
HUB_SETTINGS = {"notice_tick_s": 0.2, "notice_republish_s": 2.0}


def operator(hub: Hub) -> dict[str, str]:
    with Session(hub.engine) as s:
        token = add_account(s, name="county-ops", role=Role.OPERATOR)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def agent_for(broker: Any, root: Path, hub: Hub, unit: str, **extra: Any) -> Agent:
    rebooter = extra.pop("rebooter", None)
    settings = EdgeSettings(
        unit_id=unit, broker_url=str(broker.url), broker_password=broker.creds.password_for(unit),
        data_dir=root / unit, durable=False, hub_url=hub.url, hub_public_key=hub.public_key,
        health_interval_s=0.5, **extra,
    )  # fmt: skip
    return build_agent(
        settings, kit=SimulatedKit(settings), link_settings=FAST_LINK, rebooter=rebooter
    )


async def answered(http: httpx.AsyncClient, auth: dict[str, str], command_id: str) -> dict:
    found: dict[str, Any] = {}

    async def poll() -> bool:
        nonlocal found
        found = (await http.get(f"/api/commands/{command_id}", headers=auth)).json()
        return found["state"] in ("ok", "failed", "expired")

    deadline = asyncio.get_running_loop().time() + 20
    while not await poll():
        assert asyncio.get_running_loop().time() < deadline, f"no answer: {found}"
        await asyncio.sleep(0.1)
    return found


def signed_command(key: Any, name: str, *, unit: str = UNIT, **fields: Any) -> bytes:
    now = datetime.now(UTC)
    doc = {
        "v": 1, "kind": COMMAND_KIND, "id": str(uuid.uuid4()), "unit": unit, "name": name,
        "args": {}, "issued_at": now.isoformat(),
        "expires_at": (now + timedelta(hours=1)).isoformat(), "issued_by": "test", **fields,
    }  # fmt: skip
    return canonical_json(sign_document(doc, key))


def test_every_command_kind_round_trips_signed_answered_stored_and_audited(
    fresh_broker, database_url, tmp_path
):
    broker = fresh_broker([UNIT])
    printer = VirtualPrinter(dots=576, out_dir=tmp_path / "slips").start()
    rebooter = SimulatedRebooter()

    async def scenario() -> None:
        async with hub_server(broker, database_url, tmp_path / "hub", **HUB_SETTINGS) as hub:
            http = httpx.AsyncClient(base_url=hub.url, timeout=10)
            auth = operator(hub)
            agent = agent_for(
                broker, tmp_path, hub, UNIT, event_rate=0, kiosk_port=0, face=False,
                printer=f"tcp:127.0.0.1:{printer.port}", window_name="东街村便民服务站",
                rebooter=rebooter,
            )  # fmt: skip
            agent.start()
            results = listener(broker.hub_url, "hub-test-results",
                               [topics.topic(UNIT, Channel.CMD_RESULT)])  # fmt: skip
            try:
                await eventually(lambda: agent.window and agent.window.kiosk_url, 30, "kiosk")
                await eventually(lambda: agent.link.client.connected, 10, "the unit online")
                # personal data in the unit's log, which diagnostics must not carry off
                logging.getLogger("bianmin.edge").warning(
                    "%s: applicant 110101199003077777 name=张三 phone 13912345678", UNIT
                )
                outcomes = {}
                for name, args in (
                    ("reconcile", {}), ("diagnostics", {"log_lines": 50}), ("test_slip", {}),
                    ("reboot", {}), ("reconnect", {}),
                ):  # fmt: skip
                    before = agent.link.client.connections
                    made = await http.post(
                        f"/api/units/{UNIT}/commands", json={"name": name, "args": args},
                        headers=auth,
                    )  # fmt: skip
                    assert made.status_code == 201, made.text
                    assert made.json()["state"] == "pending"
                    outcomes[name] = await answered(http, auth, made.json()["id"])
                    assert outcomes[name]["state"] == "ok", outcomes[name]
                    if name == "reconnect":
                        client = agent.link.client
                        await eventually(lambda: client.connections > before, 10, "reconnect")  # noqa: B023

                diag = outcomes["diagnostics"]["data"]
                assert diag["outbox_depth"] == 0
                assert diag["disk_free_mb"] > 0
                assert diag["agent_version"]
                assert diag["log"]
                text = "\n".join(diag["log"])
                assert "applicant [id] name=[name] phone [phone]" in text
                for secret in ("110101199003077777", "张三", "13912345678"):
                    assert secret not in json.dumps(diag, ensure_ascii=False)
                assert rebooter.reboots == 1
                slip = await asyncio.to_thread(printer.wait_for_slips, 1)
                assert "打印测试单" in slip[0].text
                assert UNIT in slip[0].text
                assert outcomes["reconcile"]["detail"].startswith("configuration asked")

                # refused at the hub: an unknown kind, a secret kind from the operator's CLI
                unknown = await http.post(
                    f"/api/units/{UNIT}/commands", json={"name": "selfdestruct"}, headers=auth
                )
                assert unknown.status_code == 422
                assert "unknown_command" in unknown.text

                # refused at the unit, and answered: forged, unsigned, unknown kind, and a
                # copy of the reboot published again is answered without a second reboot
                own_key = hub.app.state.signing_key
                reboot_again = signed_command(own_key, "reboot")
                payloads = {
                    "forged": signed_command(generate_key(), "reboot"),
                    "unsigned": json.dumps(
                        {**json.loads(signed_command(own_key, "reboot")), "sig": None}
                    ).encode(),
                    "unknown": signed_command(own_key, "selfdestruct"),
                    "again-1": reboot_again,
                    "again-2": reboot_again,
                }
                async with connected(results):
                    for payload in payloads.values():
                        hub.app.state.consumer.client.publish(
                            topics.topic(UNIT, Channel.CMD), payload, qos=1
                        )
                    await eventually(lambda: len(results.got) >= 5, 10, "five answers")
                answers = {}
                for label, payload in payloads.items():
                    cid = json.loads(payload)["id"]
                    found = [json.loads(m.payload) for m in results.got]
                    answers[label] = [a for a in found if a["id"] == cid]
                assert not answers["forged"][0]["ok"]
                assert answers["forged"][0]["detail"].startswith("unknown_key")  # not trusted
                assert not answers["unsigned"][0]["ok"]
                assert answers["unknown"][0]["detail"].startswith("unknown_command")
                assert [a["ok"] for a in answers["again-1"]] == [True, True]
                # what follows an answer (the reboot) runs a moment later: wait until the
                # receiver has nothing left to run, then count
                receiver = agent.notices
                assert receiver is not None
                await eventually(lambda: not receiver.pending_after, 5, "after-answer tasks")
                assert rebooter.reboots == 2  # the first of the two copies only

                with hub.engine.connect() as conn:
                    audited = conn.execute(
                        select(AUDIT.c.action, func.count())
                        .where(AUDIT.c.target == f"unit/{UNIT}")
                        .group_by(AUDIT.c.action)
                    ).all()
                assert dict(audited) == {"unit.command": 5, "unit.command.ok": 5}

                page = await http.get(f"/fleet/{UNIT}", headers=auth)
                assert page.status_code == 200
                assert "远程指令" in page.text
                assert "打印测试" in page.text
                assert page.text.count('data-state="ok"') == 5
                listed = (await http.get(f"/api/units/{UNIT}/commands", headers=auth)).json()
                assert next(c["name"] for c in listed) == "reconnect"
                assert len(listed) == 5
            finally:
                await agent.close()
                await http.aclose()

    try:
        asyncio.run(scenario())
    finally:
        printer.stop()


def identity_store(state: Path, broker: Any, hub: Hub, unit: str) -> IdentityStore:
    """The operator's store holding ``unit``'s identity as `provision apply` left it."""
    store = IdentityStore(state)
    store.county()
    store.save(
        UnitIdentity(
            unit_id=unit, window_name="东街村", hardware_profile="pi4-cm3-80mm",
            broker_url=str(broker.url), broker_password=SecretStr(broker.creds.password_for(unit)),
            hub_url=hub.url, hub_public_key=hub.public_key, hub_token=SecretStr("bmu_" + "a" * 40),
            template_key=SecretStr("cd" * 32),
        )
    )  # fmt: skip
    return store


def live_env(broker: Any, hub: Hub, api: HubApi) -> dict[str, str]:
    """What the operator exports for live changes (README, the operator's section)."""
    return {
        "BIANMIN_BROKER_ADMIN_URL": broker.process.config.admin_url.with_secret(),
        "BIANMIN_HUB_URL": hub.url,
        "BIANMIN_HUB_TOKEN": api.token or "",
    }


def provision(*args: str, env: dict[str, str]) -> dict[str, Any]:
    """`bianmin provision ARGS` as the operator runs it; its one JSON line, with no secret."""
    result = CliRunner().invoke(cli_app, ["provision", *args], env=env, catch_exceptions=False)
    line = result.output.strip().splitlines()[-1]
    for secret in env.values():
        assert secret not in result.output
    found: dict[str, Any] = json.loads(line)
    return found


def test_a_live_rotation_switches_the_unit_over_and_loses_no_event(
    fresh_broker, database_url, tmp_path
):
    broker = fresh_broker([UNIT, OTHER])
    events = 300

    async def scenario() -> None:
        async with hub_server(broker, database_url, tmp_path / "hub", **HUB_SETTINGS) as hub:
            store = identity_store(tmp_path / "provision", broker, hub, UNIT)
            api = HubApi(hub.url, operator(hub)["Authorization"].split()[1])
            old = broker.creds.password_for(UNIT)
            agent = agent_for(broker, tmp_path, hub, UNIT, event_rate=150, max_events=events)
            agent.start()
            try:
                await eventually(lambda: agent.event_log.last_seq >= 50, 20, "events flowing")
                # the operator's command line: `bianmin provision rotate UNIT` with the admin
                done = await asyncio.to_thread(
                    provision, "rotate", UNIT, "--state-dir", str(tmp_path / "provision"),
                    "--wait", "20", env=live_env(broker, hub, api),
                )  # fmt: skip
                assert done["state"] == "rotated", done
                sending_through = agent.event_log.last_seq
                creds = agent.link.credentials
                assert creds is not None
                await eventually(lambda: creds.switched == 1, 20, "the new password in use")
                assert creds.generation == 2
                assert not creds.pending
                await eventually(lambda: agent.link.client.connected, 10, "the unit back")
                assert sending_through < events  # the switch happened while it kept sending
                await eventually(lambda: agent.event_log.last_seq >= events, 30, "all events")
                await asyncio.wait_for(agent.wait_drained(), 30)

                new = store.identity(UNIT)
                assert new is not None
                assert new.generation == 2
                password = new.broker_password.get_secret_value()
                assert password != old
                assert creds.password_for_attempt() == password
                refused = await try_connect(
                    broker.url.with_credentials(UNIT, old), topics.unit_client_id(UNIT)
                )
                assert refused.connections == 0
                assert "refused" in str(refused.last_error)
                # the new one works: the agent is connected with it (a second client with its
                # id would take its connection over)
                assert agent.link.client.connected
                assert not (tmp_path / "provision/secrets/rotations" / f"{UNIT}.json").exists()
                with hub.engine.connect() as conn:
                    seqs = conn.execute(
                        select(
                            func.count(), func.min(_events().c.seq), func.max(_events().c.seq)
                        ).where(_events().c.unit == UNIT)
                    ).one()
                assert tuple(seqs) == (events, 1, events)  # every event, none twice
                credentials_file = json.loads(store.broker_credentials.read_text())
                assert credentials_file["units"][UNIT] == password
            finally:
                await agent.close()

    asyncio.run(scenario())


def _events() -> Any:
    from hub.models import Event

    return Event.__table__  # type: ignore[attr-defined]


def test_a_revoked_unit_is_cut_off_at_once_and_what_it_sends_is_dead_lettered(
    fresh_broker, database_url, tmp_path
):
    broker = fresh_broker([UNIT, OTHER])

    async def scenario() -> None:
        async with hub_server(broker, database_url, tmp_path / "hub", **HUB_SETTINGS) as hub:
            identity_store(tmp_path / "provision", broker, hub, UNIT)
            api = HubApi(hub.url, operator(hub)["Authorization"].split()[1])
            with Session(hub.engine) as s:
                token = issue_unit_token(s, unit=UNIT)
                s.commit()
            unit_auth = {"Authorization": f"Bearer {token}"}
            http = httpx.AsyncClient(base_url=hub.url, timeout=10)
            owed = await http.post("/api/unit/cases/owed", json={"cases": []}, headers=unit_auth)
            assert owed.status_code not in (401, 403)
            hub_client = hub.app.state.consumer.client
            hub_client.publish(topics.topic(UNIT, Channel.CONFIG), b'{"retained":1}', retain=True)
            agent = agent_for(broker, tmp_path, hub, UNIT, event_rate=0)
            agent.start()
            try:
                await eventually(lambda: agent.link.client.connected, 10, "the unit online")
                connections = agent.link.client.connections
                done = await asyncio.to_thread(
                    provision, "revoke", UNIT, "--state-dir", str(tmp_path / "provision"),
                    env=live_env(broker, hub, api),
                )  # fmt: skip
                assert done["broker"] == "client deleted", done
                assert UNIT in IdentityStore(tmp_path / "provision").revoked()
                assert done["hub"] == "revoked", done
                # disconnected at once, and refused from then on (it keeps trying)
                await eventually(lambda: not agent.link.client.connected, 5, "disconnected")
                await eventually(
                    lambda: "refused" in str(agent.link.client.last_error), 10, "refused"
                )
                assert agent.link.client.connections == connections
                again = await try_connect(broker.unit_url(UNIT), topics.unit_client_id(UNIT))
                assert again.connections == 0
                assert "refused" in str(again.last_error)

                owed = await http.post(
                    "/api/unit/cases/owed", json={"cases": []}, headers=unit_auth
                )
                assert owed.status_code == 401

                # its retained topics are empty: a marker published after subscribing comes
                # back alone
                marker = topics.topic(OTHER, Channel.CONFIG)
                watch = listener(
                    broker.hub_url, "hub-test-retained",
                    [topics.topic(UNIT, Channel.CONFIG), topics.topic(UNIT, Channel.STATE),
                     marker],
                )  # fmt: skip
                async with connected(watch):
                    hub_client.publish(marker, b"marker")
                    await eventually(lambda: marker in watch.topics(), 10, "the marker")
                assert watch.topics() == [marker]

                # a late message under its id (the hub user can still write its topics)
                body = CaseTransition(case_id=uuid.uuid4(), state="accepted")
                late = envelope_for(body, id=uuid.uuid4(), unit=UNIT, seq=1,
                                    ts=datetime.now(UTC))  # fmt: skip
                hub_client.publish(topics.topic(UNIT, Channel.TX), encode(TxBatch(events=[late])))

                def dead() -> list[Any]:
                    with hub.engine.connect() as conn:
                        return list(
                            conn.execute(
                                select(DEAD.c.reason_code).where(DEAD.c.unit == UNIT)
                            ).scalars()
                        )

                assert await eventually(dead, 10, "the late message dead-lettered") == ["revoked"]
                refused_command = await http.post(
                    f"/api/units/{UNIT}/commands", json={"name": "reconnect"},
                    headers={"Authorization": f"Bearer {api.token}"},
                )  # fmt: skip
                assert refused_command.status_code == 409
            finally:
                await agent.close()
                await http.aclose()

    asyncio.run(scenario())


def test_a_unit_holding_a_pending_password_alternates_until_the_new_one_works(tmp_path):
    """The fallback rule on its own (edge.link.credentials): new first, old second, the old
    one forgotten once the new one worked, and kept across a restart."""
    from edge.link.credentials import BrokerCredentials

    path = tmp_path / "broker-password.json"
    creds = BrokerCredentials(path, "old-password-xxxxxxxx", generation=1)
    assert creds.password_for_attempt() == "old-password-xxxxxxxx"
    creds.connected()
    assert creds.store_pending("new-password-yyyyyyyy", 2)
    assert path.stat().st_mode & 0o777 == 0o600
    tries = [creds.password_for_attempt() for _ in range(4)]
    assert tries == ["new-password-yyyyyyyy", "old-password-xxxxxxxx"] * 2
    # a restart while pending keeps both
    restarted = BrokerCredentials(path, "old-password-xxxxxxxx", generation=1)
    assert restarted.password_for_attempt() == "new-password-yyyyyyyy"
    restarted.connected()  # the new one worked
    assert restarted.generation == 2
    assert not restarted.pending
    assert {restarted.password_for_attempt() for _ in range(3)} == {"new-password-yyyyyyyy"}
    # an identity re-provisioned later (generation 3) wins over the stored one
    newer = BrokerCredentials(path, "reissued-password-zzzz", generation=3)
    assert newer.password_for_attempt() == "reissued-password-zzzz"
