"""A forwarded case comes back, on SQLite and PostgreSQL, through the real Mosquitto: a unit
agent with its window (simulated kit, a virtual TCP printer in this process) sends a case the
town decides; the town's office completes it through the hub's API; the signed notice reaches
the unit, is stored once and answered, shows on the kiosk, prints for the applicant (decoded
from the printer's bytes, its QR read from the rendered slip) and its handover reaches the
hub's timeline. The same again with the unit offline when the office acts: it gets the notice
when it reconnects, once. A copy published again is stored once; a forged one is refused."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from edge.agent import Agent, build_agent
from edge.settings import EdgeSettings
from hub.accounts.roles import Role
from hub.accounts.scope import Scope, set_scope
from hub.accounts.store import add_account
from hub.notices.tables import NOTICES
from protocol import topics
from protocol.catalog import Approval
from protocol.topics import Channel
from simulators.kit import SimulatedKit
from simulators.printer import VirtualPrinter
from tests.edge.notices.signed import signed
from tests.integration.helpers import FAST_LINK
from tests.integration.rollout_helpers import Hub, hub_server
from tests.support.cases import ScriptedCase, matter_where
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
UNIT = "dongjie-cun"  # a village of 清水镇 (qingshui-zhen) in the seed registry
TOWN_MATTER = matter_where(approval=Approval.TOWN)


def window_agent(broker: Any, root: Path, hub: Hub, printer: VirtualPrinter) -> Agent:
    settings = EdgeSettings(
        unit_id=UNIT, broker_url=str(broker.url), broker_password=broker.creds.password_for(UNIT),
        data_dir=root / UNIT, event_rate=0, durable=False, hub_url=hub.url,
        hub_public_key=hub.public_key, health_interval_s=0.5, kiosk_port=0,
        printer=f"tcp:127.0.0.1:{printer.port}", face=False, window_name="清水镇东街村便民服务站",
    )  # fmt: skip
    return build_agent(settings, kit=SimulatedKit(settings), link_settings=FAST_LINK)


async def started(agent: Agent) -> str:
    agent.start()
    assert agent.window is not None
    window = agent.window
    await eventually(lambda: window.kiosk_url, 30, "the kiosk to serve")
    assert window.kiosk_url is not None
    return window.kiosk_url


def town_office(hub: Hub) -> dict[str, str]:
    with Session(hub.engine) as s:
        token = add_account(s, name="qingshui", role=Role.BACKOFFICE)
        set_scope(s, "qingshui", Scope(town="qingshui-zhen"))
        s.commit()
    return {"Authorization": f"Bearer {token}"}


async def send_forwarded_case(agent: Agent, minutes_ago: int) -> str:
    """A town matter accepted at the window and forwarded, committed to the unit's event log
    as its window commits a case (the link sends it); its case id."""
    start = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    steps = ScriptedCase(UNIT, TOWN_MATTER, start=start, clerk="ck-0000abcd").transitions()
    for ts, transition in steps:
        await agent.event_log.append(transition, ts)
    return str(steps[0][1].case_id)


class Office:
    def __init__(self, http: httpx.AsyncClient, auth: dict[str, str]) -> None:
        self.http, self.auth = http, auth

    async def case(self, case_id: str) -> dict[str, Any]:
        got = await self.http.get(f"/api/backoffice/cases/{case_id}", headers=self.auth)
        return got.json() if got.status_code == 200 else {}

    async def until(self, case_id: str, check: Any, what: str, timeout: float = 30) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = await self.case(case_id)
            if found and check(found):
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {found}")
            await asyncio.sleep(0.1)

    async def complete(self, case_id: str, result: str) -> None:
        for step, body in (("receive", {}), ("complete", {"result": result})):
            done = await self.http.post(
                f"/api/cases/{case_id}/{step}", json=body, headers=self.auth
            )
            assert done.status_code == 200, done.text


async def kiosk_notices(kiosk: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        return (await http.get(kiosk + "api/notices")).json()["notices"]


def delivered(case: dict[str, Any]) -> bool:
    return bool(case["notices"]) and case["notices"][-1]["status"] == "delivered"


def qr_texts(slip: Any) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(slip.png)]


def test_a_completed_case_reaches_its_window_prints_and_is_handed_over_also_after_offline(
    fresh_broker, database_url, tmp_path
):
    broker = fresh_broker([UNIT])
    printer = VirtualPrinter(dots=576, out_dir=tmp_path / "slips").start()

    async def scenario() -> None:
        settings = {"notice_tick_s": 0.2, "notice_republish_s": 3600}  # no timer: presence only
        async with hub_server(broker, database_url, tmp_path / "hub", **settings) as hub:
            http = httpx.AsyncClient(base_url=hub.url, timeout=10)
            office = Office(http, town_office(hub))
            agent = window_agent(broker, tmp_path, hub, printer)
            kiosk = await started(agent)

            # -- online: completed, delivered, shown, printed, handed over ----------------
            first = await send_forwarded_case(agent, minutes_ago=30)
            await office.until(first, lambda c: c["status"] == "forwarded", "the case forwarded")
            await office.complete(first, "准予确认，奖励扶助金按年发放")
            case = await office.until(first, delivered, "the notice stored by the unit")
            (shown,) = await kiosk_notices(kiosk)
            assert (shown["label"], shown["case_ref"]) == ("办结通知", case["case_ref"])
            assert shown["text"] == "准予确认，奖励扶助金按年发放"
            assert shown["delivered"] is False
            async with httpx.AsyncClient() as k:
                handed = await k.post(f"{kiosk}api/notices/{shown['id']}/deliver",
                                      headers={"x-kiosk": "1"})  # fmt: skip
            assert handed.status_code == 200, handed.text
            (slip,) = await asyncio.to_thread(printer.wait_for_slips, 1, 20)
            assert "办结通知" in slip.text
            assert case["case_ref"] in slip.text
            assert "准予确认" in slip.text
            assert any(case["case_ref"] in q for q in qr_texts(slip))
            case = await office.until(
                first, lambda c: "notice_delivered" in [t["step"] for t in c["timeline"]],
                "the handover in the hub's timeline",
            )  # fmt: skip
            handover = next(t for t in case["timeline"] if t["step"] == "notice_delivered")
            assert (handover["source"], handover["by"]) == ("unit", UNIT)
            assert handover["data"]["notice"] == shown["id"]

            # -- offline while the office acts: delivered when the unit reconnects --------
            second = await send_forwarded_case(agent, minutes_ago=20)
            await office.until(second, lambda c: c["status"] == "forwarded", "the second case")
            await agent.close()
            await office.complete(second, "准予确认")
            pending = await office.case(second)
            assert pending["notices"][0]["status"] == "pending"
            agent = window_agent(broker, tmp_path, hub, printer)
            kiosk = await started(agent)
            case = await office.until(second, delivered, "the notice after the reconnect")
            listed = await kiosk_notices(kiosk)
            assert [n["case_ref"] for n in listed].count(case["case_ref"]) == 1
            assert len(listed) == 2

            # -- the same notice again, and a forged one: stored once, refused -----------
            assert agent.notices is not None
            client = hub.app.state.consumer.client
            with hub.engine.connect() as conn:
                original = conn.execute(
                    select(NOTICES.c.document).where(NOTICES.c.case_id == uuid.UUID(second))
                ).scalar_one()
            cmd = topics.topic(UNIT, Channel.CMD)
            client.publish(cmd, bytes(original), qos=1)
            await eventually(lambda: agent.notices.stats.duplicates == 1, 15, "the duplicate")  # type: ignore[union-attr]
            client.publish(cmd, signed(unit=UNIT), qos=1)  # signed by a key the unit never pinned
            await eventually(lambda: agent.notices.stats.refused == 1, 15, "the forgery refused")  # type: ignore[union-attr]
            assert len(await kiosk_notices(kiosk)) == 2
            assert (await office.case(second))["notices"][0]["status"] == "delivered"
            await agent.close()
            await http.aclose()

    try:
        asyncio.run(scenario())
    finally:
        printer.stop()
