"""A hub with cases in two towns for the case pages: their windows' events through the real
ingest and projector, a bad rating's follow-up, feedback notes, a blacklist proposal; and
accounts that see the county or one town (hub.accounts.area)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from hub.accounts.area import COUNTY, Area
from hub.accounts.roles import Actor, Role
from hub.cases.project import RECORDS
from hub.feedback.service import add as add_feedback
from hub.window.proposals import propose
from protocol.catalog import Approval
from protocol.feedback import FeedbackSource, FeedbackTopic
from tests.hub.cases.ingested import drain, ingest
from tests.support.cases import START, ScriptedCase, envelopes, matter_where
from tests.support.signin import make_account, sign_in_client

INSTANT = matter_where(approval=Approval.WINDOW, instant=True)
TOWN_OWING = matter_where(approval=Approval.TOWN, deferrable=True)
QINGSHUI, SHIQIAO = "qingshui-zhen", "shiqiao-zhen"
DONGJIE, XINMIN = "dongjie-cun", "xinmin-cun"  # a village of each
TODAY = START + timedelta(days=3)  # Friday: the 容缺 supply dates have not all passed


@dataclass
class Seeded:
    instant: uuid.UUID  # dongjie-cun, done at once
    owing: uuid.UUID  # dongjie-cun, 容缺, forwarded to the town
    badly_rated: uuid.UUID  # xinmin-cun, 容缺, forwarded, rated 不满意
    refs: dict[uuid.UUID, str]


def seed(engine: Engine) -> Seeded:
    specs: list[tuple[str, Any, dict[str, Any]]] = [
        (DONGJIE, INSTANT, {}),
        (DONGJIE, TOWN_OWING, {"defer": True}),
        (XINMIN, TOWN_OWING, {"defer": True, "rating": 2}),
    ]
    ids, events = [], []
    for i, (unit, matter, kw) in enumerate(specs):
        case = ScriptedCase(
            unit, matter, start=START + timedelta(hours=i), clerk="c01",
            id_number=f"34112219900101{1000 + i}",
        )  # fmt: skip
        steps = case.transitions(**kw)
        ids.append(steps[0][1].case_id)
        events += envelopes(unit, steps, seq0=100 * i + 1)
    ingest(engine, events)
    drain(engine)
    with engine.begin() as conn:
        rows = {r.case_id: r for r in conn.execute(select(RECORDS))}
        now = datetime(2026, 11, 26, 2, tzinfo=UTC)
        for unit, text in ((DONGJIE, "等候时间太长"), (XINMIN, "希望多开一个窗口")):
            add_feedback(
                conn, source=FeedbackSource.KIOSK, topic=FeedbackTopic.WAIT, text=text,
                unit=unit, case_ref=None, case_id=None, now=now,
            )  # fmt: skip
        for cid in ids[1:]:  # as the timers would on withdrawal
            propose(conn, rows[cid], now)
    return Seeded(ids[0], ids[1], ids[2], {k: str(r.case_ref) for k, r in rows.items()})


def act_as(client: TestClient, role: Role = Role.OPERATOR, area: Area = COUNTY) -> Actor:
    """Sign ``client`` in (through /login, as a browser does) as an account of ``role`` in
    ``area``, made on first use."""
    actor = Actor(f"{role.value}-{area.town or area.village or 'county'}", role, area=area)
    passwords: dict[str, str] = client.__dict__.setdefault("test_passwords", {})
    if actor.name not in passwords:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        passwords[actor.name] = make_account(engine, actor.name, role, area=area)
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    sign_in_client(client, actor.name, passwords[actor.name])
    return actor


def seed_more(engine: Engine, count: int = 14) -> None:
    """More cases across the county (instant, forwarded, 容缺, a few rated badly), so a page
    looks as it does on a working day."""
    units = ["qingshui-shequ", "xijie-cun", "liutang-cun", "daping-cun", "fenglin-cun", XINMIN]
    kinds: list[tuple[Any, dict[str, Any]]] = [
        (INSTANT, {}), (TOWN_OWING, {"defer": True}), (TOWN_OWING, {}),
        (TOWN_OWING, {"rating": 1}), (INSTANT, {"decline": True}),
    ]  # fmt: skip
    events = []
    for i in range(count):
        unit = units[i % len(units)]
        matter, kw = kinds[i % len(kinds)]
        case = ScriptedCase(
            unit, matter, start=START + timedelta(hours=3 + i * 5), clerk="c02",
            id_number=f"34112219850505{2000 + i}",
        )  # fmt: skip
        events += envelopes(unit, case.transitions(**kw), seq0=10_000 + 100 * i)
    ingest(engine, events)
    drain(engine)
