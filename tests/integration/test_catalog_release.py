"""A catalog change from the county's own spreadsheet to the units: the workbook exported by
the hub, edited as the office would, imported by one operator, approved by another, and
applied by the village's unit through the signed rollout, on a real hub, Mosquitto and unit
agent (SQLite and PostgreSQL)."""

import asyncio
import io
import json

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from protocol.seed import SEED_VILLAGES
from tests.integration.rollout_helpers import config_agent, hub_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
SEED = json.loads(SEED_VILLAGES.read_text(encoding="utf-8"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def registry_for(tmp_path, unit):
    """The seed registry cut down to its first village, whose window is the test broker's
    unit: a rollout to the whole county reaches that one unit and completes."""
    data = dict(SEED)
    data["villages"] = [{**SEED["villages"][0], "unit_id": unit}]
    path = tmp_path / "villages.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def running_config(agent):
    current = agent.config.current
    assert current is not None
    return current


def edited_workbook(data: bytes, code: str, new_name: str) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    row = next(r for r in wb["事项"].iter_rows(min_row=2) if r[0].value == code)
    row[1].value = new_name
    row[7].value = row[7].value + 1  # one more promised working day
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_change_in_the_county_spreadsheet_reaches_the_unit_after_a_second_approval(
    broker, database_url, tmp_path
):
    """GIVEN a unit running the seed catalog (version 1) from the hub
    WHEN an operator imports the exported workbook with a delegated matter renamed and its
    promise lengthened, and a second operator approves the draft
    THEN the unit applies catalog version 2 and its matter has the new name and promise."""
    unit = "t060" if database_url.startswith("sqlite") else "t160"

    async def scenario():
        villages = registry_for(tmp_path, unit)
        async with hub_server(
            broker, database_url, tmp_path / "hub", villages_file=villages
        ) as hub:
            with Session(hub.engine) as s:
                wang = add_account(s, name="wang", role=Role.OPERATOR)
                li = add_account(s, name="li", role=Role.OPERATOR)
                s.commit()
            agent = config_agent(broker, unit, tmp_path, hub)
            agent.start()
            first = hub.rollout(target={"units": [unit]})
            await eventually(lambda: hub.status(first.id).state == "completed", 30, "v1 applied")
            matter = next(m for m in running_config(agent).catalog.matters if not m.instant)
            async with httpx.AsyncClient(base_url=hub.url, timeout=30) as api:
                as_wang = {"Authorization": f"Bearer {wang}"}
                as_li = {"Authorization": f"Bearer {li}"}
                exported = (await api.get("/api/catalog/export.xlsx", headers=as_wang)).content
                data = edited_workbook(exported, matter.code, "改名后的事项")
                made = await api.post("/api/catalog/drafts?format=xlsx", content=data,
                                      headers={**as_wang, "content-type": XLSX})  # fmt: skip
                assert made.status_code == 201, made.text
                draft = made.json()["id"]
                own = await api.post(f"/api/catalog/drafts/{draft}/approve", json={},
                                     headers=as_wang)  # fmt: skip
                assert own.json()["detail"]["code"] == "own_draft"
                approved = await api.post(f"/api/catalog/drafts/{draft}/approve",
                                          json={"canary_count": 0}, headers=as_li)  # fmt: skip
                assert approved.status_code == 200, approved.text
                rollout = approved.json()["rollout_id"]
            await eventually(lambda: hub.status(rollout).state == "completed", 30, "rollout done")
            await eventually(
                lambda: running_config(agent).catalog.catalog_version == 2, 20, "catalog v2"
            )
            running = next(
                m for m in running_config(agent).catalog.matters if m.code == matter.code
            )
            assert running.name == "改名后的事项"
            assert running.promised_days == matter.promised_days + 1
            await agent.close()

    asyncio.run(scenario())
