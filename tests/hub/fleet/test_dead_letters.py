"""Dead letters under a hostile unit, against a real Mosquitto on SQLite and PostgreSQL: huge
refused messages cost the database a bounded row each, and auditors see what they were.

Before the change, 40 refused messages of 2 MB grew the database by about 80 MB."""

import asyncio
import hashlib
import random

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.models import DeadLetter
from hub.settings import HubSettings
from tests.support.hostile import TX, UNIT, hostile_unit
from tests.support.storage import database_bytes
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
# What a stolen unit could send: personal data up front, then 2 MB that do not compress (the
# PostgreSQL TOAST would shrink spaces to almost nothing and hide the growth).
PERSONAL = b'{"v":1,"events":[{"body":{"data":{"id_masked":"3411**********1234","n":'
HUGE = [PERSONAL + random.Random(n).randbytes(2_000_000 - len(PERSONAL)) for n in range(40)]


@pytest.fixture
def broker(fresh_broker):
    return fresh_broker([UNIT])


def _count(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(DEAD)).scalar_one()


def test_forty_refused_2_mb_messages_grow_the_database_by_kilobytes_and_auditors_see_them(
    broker, database_url, engine, tmp_path
):
    before = database_bytes(engine)

    async def flood():
        async with hostile_unit(broker, database_url, engine) as (_, unit):
            for payload in HUGE:
                unit.publish(TX, payload, qos=1)
            await eventually(lambda: _count(engine) == 40, 60, "40 dead letters")

    asyncio.run(flood())
    growth = database_bytes(engine) - before
    print(f"40 refused messages of 2 MB: the database grew by {growth} bytes")  # pytest -s
    assert growth < 1_000_000, f"the database grew by {growth} bytes for 40 dead letters"

    app = create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))
    with TestClient(app) as api, Session(app.state.engine) as s:
        token = add_account(s, name="audit", role=Role.AUDITOR)
        s.commit()
        seen = api.get(
            "/api/dead-letters", params={"limit": 100}, headers={"Authorization": f"Bearer {token}"}
        ).json()
    assert len(seen) == 40
    assert {d["payload_sha256"] for d in seen} == {hashlib.sha256(p).hexdigest() for p in HUGE}
    for dead in seen:
        assert (dead["unit"], dead["topic"]) == (UNIT, TX)
        assert (dead["reason_code"], dead["size"]) == ("payload_too_large", 2_000_000)
        assert "262144" in dead["reason"]
        # the first 512 bytes, the undecodable ones escaped as \xNN
        assert dead["payload_preview"].startswith(PERSONAL.decode())
        assert len(PERSONAL) < len(dead["payload_preview"]) <= 4 * 512
