"""Cases with 容缺 materials owed, and bad ratings, as windows emit them, committed through
the hub's real ingest and projected: the starting point of the follow-up tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from protocol import identity
from protocol.catalog import Approval
from protocol.supply import token_sha256
from simulators.cases import DEMO_ID_KEY
from tests.hub.cases.ingested import drain, ingest
from tests.support.cases import START, ScriptedCase, envelopes, matter_where

TOWN_OWING = matter_where(approval=Approval.TOWN, deferrable=True)
TOKEN = "Zm9sbG93LXVwLXRva2VuLW51bWJlci1vbmU"  # 35 URL-safe characters, like a real one
NUMBER = "341122199001011234"
REF = identity.reference(NUMBER, DEMO_ID_KEY)


@dataclass
class Seeded:
    case_id: uuid.UUID
    case_ref: str
    owed: list[str]
    token: str | None

    @property
    def token_sha256(self) -> str:
        assert self.token is not None
        return token_sha256(self.token)


def seed_case(
    engine: Engine,
    unit: str = "dongjie-cun",
    *,
    defer: bool = True,
    token: str | None = TOKEN,
    rating: int | None = 5,
    start: datetime = START,
    id_number: str = NUMBER,
    seq0: int = 1,
) -> Seeded:
    """One case (容缺 by default) committed and projected; its transitions start at ``start``."""
    case = ScriptedCase(
        unit, TOWN_OWING, start=start, id_number=id_number, clerk="c01", status_token=token
    )
    steps = case.transitions(defer=defer, rating=rating)
    ingest(engine, envelopes(unit, steps, seq0=seq0))
    drain(engine)
    first = steps[0][1]
    accepted = next((t for _, t in steps if t.state == "deficiency_accepted"), None)
    owed = [str(m) for m in accepted.data["owed_materials"]] if accepted else []  # type: ignore[union-attr]
    return Seeded(first.case_id, str(first.data["case_ref"]), owed, token)


DAY = timedelta(days=1)
