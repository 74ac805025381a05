"""Erasing one resident end to end, on the session's real Mosquitto, a served hub (SQLite and
PostgreSQL) and a unit agent holding the resident's enrolled template, its link and the
signature of their case: a county admin's erase (with a reason) leaves the reference in no hub
table and nothing of the resident on the unit; the case keeps its counts; the receipt holds the
reference's hash only and the unit's confirmation; the audit log says who, when and why; the
command's stored arguments hold no reference. The erasure goes through `bianmin hub resident
erase`. A town's admin, and an erasure of a resident on
the integrity blacklist, are refused."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from bianmin.cli import app as cli_app
from edge import retention
from edge.agent import build_agent
from edge.face.templates import TemplateStore
from edge.settings import EdgeSettings
from edge.window.residents import ResidentFaces
from edge.window.signatures import SignatureArchive, archive_key
from hub.accounts.area import COUNTY, Area
from hub.accounts.roles import SYSTEM, Role
from hub.accounts.store import add_account
from hub.audit import AUDIT
from hub.cases.project import RECORDS
from hub.residents.tables import RECEIPTS
from hub.window.blacklist import BlacklistEntryCreate, add_to_blacklist
from hub.window.registry import add_registry_records
from protocol.messages import CaseTransition
from simulators.kit import SimulatedKit
from tests.integration.helpers import FAST_LINK
from tests.integration.rollout_helpers import hub_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
REF, OTHER = "c3" * 16, "d4" * 16
HUB_SETTINGS = {"notice_tick_s": 0.2, "notice_republish_s": 2.0}


def seed_unit(root: Path, case: str, other_case: str) -> None:
    templates = TemplateStore(root / retention.TEMPLATES_FILE, bytes(range(32)))
    residents = ResidentFaces(root / retention.RESIDENTS_FILE)
    signatures = SignatureArchive(root / retention.SIGNATURES_FILE, archive_key(bytes(32)))
    for ref, case_id in ((REF, case), (OTHER, other_case)):
        residents.link(ref, templates.add(np.ones(128, "<f4")), "3****************8")
        signatures.put(case_id, "signature", b"strokes")


def token(hub_engine, name: str, role: Role, area: Area = COUNTY) -> dict[str, str]:
    with Session(hub_engine) as s:
        made = add_account(s, name=name, role=role, area=area)
        s.commit()
    return {"Authorization": f"Bearer {made}"}


def rows_naming(engine, needle: str) -> list[str]:
    """Every table whose rows, as text, contain ``needle``."""
    found = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if any(needle in str(tuple(r)) for r in conn.execute(select(table))):
                found.append(table.name)
    return found


def test_erasing_a_resident_leaves_them_nowhere_records_a_receipt_and_the_unit_confirms(
    broker, database_url, tmp_path
):
    unit = "t190" if database_url.startswith("sqlite") else "t191"
    case, other_case = uuid.uuid4(), uuid.uuid4()
    data_dir = tmp_path / unit
    seed_unit(data_dir, str(case), str(other_case))

    async def scenario() -> None:
        async with hub_server(broker, database_url, tmp_path / "hub", **HUB_SETTINGS) as hub:
            settings = EdgeSettings(
                unit_id=unit, broker_url=str(broker.url),
                broker_password=broker.creds.password_for(unit), data_dir=data_dir,
                event_rate=0, durable=False, hub_url=hub.url, hub_public_key=hub.public_key,
                health_interval_s=0.5,
            )  # fmt: skip
            agent = build_agent(settings, kit=SimulatedKit(settings), link_settings=FAST_LINK)
            agent.start()
            http = httpx.AsyncClient(base_url=hub.url, timeout=10)
            try:
                masked = {"method": "id_card", "id_masked": "3****************8"}
                for case_id, ref in ((case, REF), (other_case, OTHER)):
                    await agent.event_log.append(
                        CaseTransition(case_id=case_id, state="opened", data={"case_ref": "R1"})
                    )
                    await agent.event_log.append(
                        CaseTransition(
                            case_id=case_id, state="identified", data={"applicant": ref, **masked}
                        )
                    )

                def projected() -> bool:
                    with hub.engine.connect() as c:
                        q = select(RECORDS.c.case_id).where(RECORDS.c.applicant_ref.is_not(None))
                        return len(c.execute(q).all()) == 2

                await eventually(projected, 20, "both cases on the hub")
                await eventually(lambda: agent.event_log.depth == 0, 10, "events acknowledged")
                with Session(hub.engine) as s:
                    add_registry_records(
                        s, applicant_ref=REF, materials=["户口簿"], source="公安",
                        as_of=date(2026, 1, 1),
                    )  # fmt: skip
                    s.commit()
                admin = token(hub.engine, "county-admin", Role.ADMIN)
                url = f"/api/residents/{REF}/erase"
                no_reason = await http.post(url, json={"confirm": REF}, headers=admin)
                assert no_reason.status_code == 422
                wrong = await http.post(url, json={"confirm": OTHER, "reason": "居民申请删除"},
                                        headers=admin)  # fmt: skip
                assert wrong.status_code == 422
                assert "confirm" in wrong.text
                town_admin = token(hub.engine, "town-admin", Role.ADMIN, Area(town="qingshui-zhen"))
                body = {"confirm": REF, "reason": "居民申请删除"}
                assert (await http.post(url, json=body, headers=town_admin)).status_code == 403
                with Session(hub.engine) as s:  # the blacklist is kept by law: refused
                    entry = BlacklistEntryCreate(applicant_ref=OTHER, reason="提供虚假材料")
                    add_to_blacklist(s, entry=entry, actor=SYSTEM)
                    s.commit()
                listed = await http.post(
                    f"/api/residents/{OTHER}/erase", json={"confirm": OTHER, "reason": "申请删除"},
                    headers=admin,
                )  # fmt: skip
                assert listed.status_code == 409
                assert "blacklist" in listed.text

                # the operator's command line, off the loop that serves the hub
                args = ["hub", "resident", "erase", REF, "--reason",
                        "居民本人书面申请删除（2026-11-28）", "--hub", hub.url,
                        "--token", admin["Authorization"].removeprefix("Bearer ")]  # fmt: skip
                made = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
                assert made.exit_code == 0, made.output
                receipt = json.loads(made.stdout)
                assert REF not in made.stdout
                (command_id,) = receipt["units_told"][unit]

                async def confirmed() -> bool:
                    got = await http.get(f"/api/commands/{command_id}", headers=admin)
                    return got.json()["state"] == "ok"

                deadline = asyncio.get_running_loop().time() + 20
                while not await confirmed():
                    assert asyncio.get_running_loop().time() < deadline, "no answer"
                    await asyncio.sleep(0.1)
                command = (await http.get(f"/api/commands/{command_id}", headers=admin)).json()
            finally:
                await http.aclose()
                await agent.close()

            # the unit: nothing of the resident, the other resident untouched
            residents = ResidentFaces(data_dir / retention.RESIDENTS_FILE)
            assert residents.template_for(REF) is None
            assert residents.template_for(OTHER) is not None
            assert len(TemplateStore(data_dir / retention.TEMPLATES_FILE, bytes(range(32)))) == 1
            archive = SignatureArchive(data_dir / retention.SIGNATURES_FILE, archive_key(bytes(32)))
            assert archive.get(str(case), "signature") is None
            assert archive.get(str(other_case), "signature") == b"strokes"
            # the hub: the reference in no table; the case kept, without it; the other intact
            assert rows_naming(hub.engine, REF) == []
            assert {"case_record", "event"} <= set(rows_naming(hub.engine, OTHER))
            with hub.engine.connect() as c:
                kept = c.execute(select(RECORDS).where(RECORDS.c.case_id == case)).one()
                assert (kept.applicant_ref, kept.id_masked, kept.events) == (None, None, 2)
                (row,) = c.execute(select(RECEIPTS)).all()
                entry = c.execute(
                    select(AUDIT).where(AUDIT.c.action == "resident.erase")
                ).one()  # fmt: skip
            assert row.ref_sha256 == hashlib.sha256(REF.encode()).hexdigest()
            assert row.erased_by == "county-admin"
            assert row.hub_counts["case_records"] == 1
            assert row.hub_counts["registry_records"] == 1
            assert row.units_confirmed[unit] == {
                "templates": 1, "links": 1, "signatures": 1, "carry_list": 0
            }  # fmt: skip
            assert entry.actor == "county-admin"
            assert entry.at is not None
            assert entry.detail["reason"].startswith("居民本人书面申请")
            assert command["args"] == {}
            assert command["name"] == "erase_resident"

    asyncio.run(scenario())
