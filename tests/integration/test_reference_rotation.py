"""Rotating the ID reference key with a unit in the field, on the session's real Mosquitto, a
served hub (SQLite and PostgreSQL) and a unit agent holding an enrolled resident: the hub is
stopped, `bianmin hub id-key rotate` run, the hub started again; the unit gets its signed
rekey_references command, moves the resident's link to generation 2, and the reference its
window now obtains from the hub (blinded, then the chain step) finds the same template. An
event the unit wrote at generation 1 and one it writes at generation 2 both reach the case
record as the resident's generation-2 reference."""

from __future__ import annotations

import asyncio
import json
import uuid

import numpy as np
import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from bianmin.cli import app as cli_app
from edge import retention
from edge.face.templates import TemplateStore
from edge.window.references import ReferenceClient
from edge.window.residents import ResidentFaces
from edge.window.store import tagged
from hub.cases.project import RECORDS
from hub.window.idgen import chain_key
from hub.window.idkey import load_id_key
from hub.window.tokens import issue_unit_token
from protocol import idchain, identity
from protocol.messages import CaseTransition
from tests.integration.rollout_helpers import config_agent, hub_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
NUMBER = "330122196805172318"
MASKED = {"method": "id_card", "id_masked": "3****************8"}
HUB_SETTINGS = {"notice_tick_s": 0.2, "notice_republish_s": 2.0}


async def _identified(agent, case: uuid.UUID, ref: str, generation: int) -> None:
    await agent.event_log.append(
        CaseTransition(case_id=case, state="opened", data={"case_ref": "R1"})
    )
    event = CaseTransition(case_id=case, state="identified", data={"applicant": ref, **MASKED})
    await agent.event_log.append(tagged(event, generation))


def _ref_of(engine, case: uuid.UUID) -> str | None:
    with engine.connect() as c:
        found = c.execute(select(RECORDS.c.applicant_ref).where(RECORDS.c.case_id == case))
        return found.scalar_one_or_none()


def test_a_unit_is_rekeyed_by_its_command_and_still_finds_its_enrolled_resident(
    broker, database_url, tmp_path
):
    unit = "t192" if database_url.startswith("sqlite") else "t193"
    hub_dir = tmp_path / "hub"
    before, late, after = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    async def scenario() -> None:
        root = tmp_path / unit
        residents = ResidentFaces(root / retention.RESIDENTS_FILE)
        template = TemplateStore(root / retention.TEMPLATES_FILE, bytes(range(32))).add(
            np.ones(128, "<f4")
        )
        agent = None
        try:
            async with hub_server(broker, database_url, hub_dir, **HUB_SETTINGS) as hub:
                settings = hub.app.state.settings
                first = identity.reference(NUMBER, load_id_key(settings))
                residents.link(first, template, "3****************8")
                with Session(hub.engine) as s:
                    token = issue_unit_token(s, unit=unit)
                    s.commit()
                agent = config_agent(broker, unit, tmp_path, hub)
                agent.start()
                await _identified(agent, before, first, 1)
                await eventually(lambda: _ref_of(hub.engine, before) == first, 20, "projected")
                await eventually(lambda: agent.event_log.depth == 0, 10, "acknowledged")
            # the hub is stopped: the rotation runs alone against its database and key files
            args = ["hub", "id-key", "rotate", "--key-file", str(settings.id_key_path),
                    "--signing-key-file", str(settings.signing_key_path),
                    "--database", database_url]  # fmt: skip
            done = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
            assert done.exit_code == 0, done.output
            assert json.loads(done.stdout)["generation"] == 2
            second = idchain.step(first, chain_key(settings.id_key_path, 2, strict=True))
            # written while the hub was away, at generation 1: it waits in the outbox
            await _identified(agent, late, first, 1)
            async with hub_server(broker, database_url, hub_dir, **HUB_SETTINGS) as hub:
                await eventually(lambda: residents.generation() == 2, 30, "the unit re-keyed")
                assert residents.template_for(second) == template
                assert residents.template_for(first) is None
                client = ReferenceClient(hub.url, token, generation=residents.generation)
                obtained = await client.reference(NUMBER)
                assert obtained == second
                assert residents.template_for(obtained) == template  # still recognised
                await _identified(agent, after, obtained, residents.generation())
                cases = (before, late, after)

                def all_carried() -> bool:
                    return all(_ref_of(hub.engine, c) == second for c in cases)

                await eventually(all_carried, 20, "every case at generation 2")
        finally:
            if agent is not None:
                await agent.close()

    asyncio.run(scenario())
