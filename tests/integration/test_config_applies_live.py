"""A rolled-out configuration takes effect in a running unit without a restart: a real hub
(API, ingest, rollout driver) on SQLite and PostgreSQL, Mosquitto, and a unit agent with its
window and simulated devices in this process.

The county changes everything a configuration carries while a case is open at the window: a
new catalog (the open case's matter redefined), a new working-day calendar, a blacklisted
applicant, another hardware profile (a 58 mm printer, another keypad and pad) and thresholds.
The same window object finishes the open case on the matter it selected, counts its deadline
on the new calendar, prints its slips on the new printer and takes the rating on the new
keypad; the next case sees the new matter and the blacklist."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import Session

from edge.agent import Agent, build_agent
from edge.settings import EdgeSettings
from edge.window.window import Window
from hub.calendar.versions import upload_calendar
from hub.catalog.versions import upload_catalog
from hub.window.blacklist import BlacklistEntryCreate, add_to_blacklist
from protocol import identity
from protocol.calendar import WorkCalendar, local_date
from protocol.holidays import HolidayCalendar
from protocol.seed import SEED_CALENDAR, SEED_CATALOG
from simulators.kit import SimulatedKit
from tests.integration.helpers import FAST_LINK
from tests.integration.rollout_helpers import OPERATOR, Hub, hub_server
from tests.integration.test_config_rollout import own, registry_for, settled
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
MATTER = "LAW-002"  # 人民调解申请: decided at the window, 4 promised days, evidence deferrable
A = "33012219610101004" + identity.check_digit("33012219610101004")
B = "33012219700202002" + identity.check_digit("33012219700202002")
ID_KEY = bytes(range(32))  # the window's provisioned reference key, as a unit held it once
ALL = {"received": ["调解申请书", "纠纷相关证据"], "shown": ["居民身份证复印件"]}


def window_agent(broker: Any, unit: str, root: Any, hub: Hub) -> Agent:
    settings = EdgeSettings(
        unit_id=unit, broker_url=str(broker.url), broker_password=broker.creds.password_for(unit),
        data_dir=root / unit, event_rate=0, durable=False, hub_url=hub.url,
        hub_public_key=hub.public_key, health_interval_s=0.5, kiosk_port=0, face=False,
        id_key=SecretStr(ID_KEY.hex()),
    )  # fmt: skip
    return build_agent(settings, kit=SimulatedKit(settings), link_settings=FAST_LINK)


def catalog_v2() -> str:
    """The seed catalog, version 2, with the matter's promised time cut from 4 days to 2."""
    data = json.loads(SEED_CATALOG.read_text(encoding="utf-8"))
    data["version"] = 2
    for m in data["matters"]:
        if m["code"] == MATTER:
            assert m["promised_days"] == 4
            m["promised_days"] = 2
    return json.dumps(data, ensure_ascii=False)


def calendar_v2() -> str:
    """A calendar, version 2, where the ten days after today are a (made-up) county holiday."""
    data = json.loads(SEED_CALENDAR.read_text(encoding="utf-8"))
    data["version"] = 2
    first = local_date(datetime.now(UTC)) + timedelta(1)
    last = min(first + timedelta(9), date(first.year, 12, 31))
    years = [y for y in data["years"] if y["year"] != first.year]
    years.append({
        "year": first.year,
        "notice": {"title": "测试通知", "published": f"{first.year - 1}-11-01"},
        "holidays": [{"name": "县测试假", "first": first.isoformat(), "last": last.isoformat()}],
        "workdays": [],
    })  # fmt: skip
    data["years"] = sorted(years, key=lambda y: y["year"])
    return json.dumps(data, ensure_ascii=False)


PIN = "285714"


def _clerk(hub: Hub, unit: str) -> str:
    """A clerk on the hub's roster for ``unit``; returns their id."""
    from hub.window.clerks import ClerkCreate, add_clerk

    with Session(hub.engine) as s:
        added = add_clerk(
            s, request=ClerkCreate(unit=unit, name="王芳", pin=PIN), actor=OPERATOR,
            registry=hub.app.state.registry,
        )  # fmt: skip
        s.commit()
    return added.id


async def _identify(w: Window, number: str) -> None:
    await w.act("open", {})
    await w.act("consent", {"face": False})
    await w.act("id_number", {"number": number})
    await w.act("card_checked", {"method": "id_card"})
    await w.act("select_matter", {"code": MATTER})
    await eventually(lambda: w.draft.registry_state == "answered", 5, "the registry step")


async def _county_changes_everything(hub: Hub, unit: str) -> int:
    with Session(hub.engine) as s:
        upload_catalog(s, hub.app.state.catalogs, text=catalog_v2(), actor=OPERATOR)
        upload_calendar(s, text=calendar_v2(), actor=OPERATOR)
        ref = identity.reference(B, ID_KEY)
        entry = BlacklistEntryCreate(applicant_ref=ref, reason="提供虚假材料")
        add_to_blacklist(s, entry=entry, actor=OPERATOR)
        s.commit()
    rollout = hub.rollout(
        target={"units": [unit]}, profile="pi5-usbcam-58mm",
        thresholds={"deferred_material_days": 7, "rating_timeout_s": 30,
                    "health_interval_s": 5},
    )  # fmt: skip
    await settled(hub, rollout.id)
    return rollout.id


def _events(hub: Hub, unit: str) -> list[dict[str, Any]]:
    """Each case transition the hub holds for ``unit``, with the time the unit stamped it."""
    with hub.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT ts, body FROM event WHERE unit = :u ORDER BY seq"), {"u": unit}
        ).all()
    out = []
    for ts, body in rows:
        doc = json.loads(body) if isinstance(body, str) else body
        at = ts if isinstance(ts, datetime) else datetime.fromisoformat(ts)
        out.append({**doc, "at": at if at.tzinfo else at.replace(tzinfo=UTC)})
    return out


def test_a_rollout_takes_effect_in_the_running_window_without_a_restart(
    broker, database_url, tmp_path
):
    (unit,) = own(["t060"], database_url)

    async def scenario() -> dict[str, Any]:
        villages = registry_for(tmp_path, [unit])
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            clerk = _clerk(hub, unit)  # signed into the unit's configuration with it
            agent = window_agent(broker, unit, tmp_path, hub)
            agent.start()
            runtime = agent.window
            assert runtime is not None
            try:
                await settled(hub, hub.rollout(target={"units": [unit]}).id)
                await eventually(lambda: runtime.in_effect == 1, 10, "v1 in effect")
                w = runtime.window
                assert w is not None
                first_printer = agent.kit.virtual_printer  # type: ignore[attr-defined]
                await w.act("sign_in", {"clerk": clerk, "pin": PIN})
                await _identify(w, A)  # the open case: its matter chosen under v1
                await _county_changes_everything(hub, unit)
                await eventually(lambda: runtime.in_effect == 2, 10, "v2 in effect")
                assert runtime.window is w  # the same window, never built again
                assert w.case is not None
                assert w.case.state.value == "matter_selected"
                await w.act("materials", {**ALL, "decision": "accept"})
                await eventually(lambda: w.steps.signing is not None, 10, "the new pad")
                await eventually(lambda: w.steps.signing.strokes, 10, "ink")  # type: ignore[union-attr]
                await w.act("sign_confirm", {})
                await w.act("route", {})
                await eventually(lambda: w.case is None, 20, "printing and the rating")
                a_ref = w.last_closed.case_ref  # type: ignore[union-attr]
                printer = agent.kit.virtual_printer  # type: ignore[attr-defined]
                slips = await asyncio.to_thread(printer.wait_for_slips, 1)
                await _identify(w, B)  # the next case: a blacklisted applicant
                await w.act("materials", {"received": ["调解申请书"], "shown": ALL["shown"]})
                await w.act("cancel", {"reason": "申请人补齐材料后再来"})
                await agent.link.drained.wait()
                await eventually(lambda: len(_events(hub, unit)) >= 16, 10, "events in the hub")
                return {
                    "events": _events(hub, unit), "a_ref": a_ref, "slips": slips,
                    "dots": (first_printer.dots, printer.dots),
                    "first_slips": len(first_printer.slips),
                    "rating_timeout": w.running().rating_timeout_s,
                    "heartbeat": agent.health_interval(),
                }  # fmt: skip
            finally:
                await agent.close()

    seen = asyncio.run(scenario())
    by_case: dict[str, dict[str, dict[str, Any]]] = {}
    for e in seen["events"]:
        by_case.setdefault(e["case_id"], {})[e["state"]] = e
    a, b = by_case.values()
    # the open case kept the matter it selected: 4 promised days, as under v1
    assert a["matter_selected"]["data"]["promised_days"] == 4
    accepted = a["accepted"]
    assert accepted["data"]["calendar_version"] == 2  # counted on the new calendar
    assert accepted["data"]["calendar_source"] == "config"
    today = local_date(accepted["at"])
    doc = HolidayCalendar.model_validate_json(calendar_v2())
    due = WorkCalendar.from_document(doc).add_working_days(today, 4)
    assert accepted["data"]["promised_due"] == due.isoformat()
    assert due != WorkCalendar.seed().add_working_days(today, 4)
    assert a["rated"]["data"]["level"] == 5  # on the new keypad
    assert a["closed"]["data"]["outcome"] == "accepted"
    # its slips on the new 58 mm printer, none on the old 80 mm one
    assert seen["dots"] == (576, 384)
    assert seen["first_slips"] == 0
    assert seen["a_ref"] in seen["slips"][0].text
    # the next case: the new definition, and the blacklist refuses 容缺
    assert b["matter_selected"]["data"]["promised_days"] == 2
    assert b["materials_checked"]["data"]["green_channel"] == "refused_blacklist"
    assert b["closed"]["data"]["outcome"] == "cancelled"
    assert (seen["rating_timeout"], seen["heartbeat"]) == (30, 5)
