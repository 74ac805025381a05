"""Eight cases at two villages of two towns, through the hub's real ingest, projection and
hub actions, whose indicators are worked out by hand in EXPECTED (the tests compare the API,
the page and the charts with it).

Opened on Tuesday 2026-11-24 (China time); the hub's day is 2026-12-24. 东街村 (dongjie-cun)
is in 清水镇 (qingshui-zhen), 新民村 (xinmin-cun) in 石桥镇 (shiqiao-zhen).

| case | village | matter | what happens | rating |
| A | dongjie | BIR-002 即办 | done at the window the same day | 5 |
| B | xinmin | BIR-002 即办 | done at the window the same day | 4 |
| C | xinmin | BIR-007 town, promised 4 / legal 40 | town 受理 12-01, 办结 12-02: past its | 3 |
|   |        |                                    | promised day (11-30), within its legal one |   |
| D | xinmin | HOU-001 town, 容缺 | one material owed, still owed | 2 |
| E | dongjie | HOU-001 town, 容缺 | one material owed, lapsed | 1 |
| F | dongjie | BIR-007 | declined at the window (一次性告知) | 5 |
| G | dongjie | (none) | cancelled before a matter was chosen | - |
| H | dongjie | HOU-001 town, promised 6 / legal 20 | town 受理, 补正, resubmitted, 办结 11-27 | 5 |
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from hub.accounts.roles import Actor, Role
from hub.cases.actions import record_action
from hub.cases.fold import ActionKind
from protocol.catalog import Approval
from tests.hub.cases.ingested import drain, ingest
from tests.support.cases import START, ScriptedCase, envelopes, matter_where

INSTANT = matter_where(approval=Approval.WINDOW, instant=True)  # BIR-002
TOWN = matter_where(approval=Approval.TOWN)  # BIR-007
OWING = matter_where(approval=Approval.TOWN, deferrable=True)  # HOU-001
TODAY = datetime(2026, 12, 24, 2, tzinfo=UTC)
FROM, TO = date(2026, 11, 1), date(2026, 11, 30)
OFFICE = Actor("qingshui-office", Role.BACKOFFICE)


def cst(day: int, month: int = 11, hour: int = 10) -> datetime:
    """A time on a day in China (UTC+8)."""
    return datetime(2026, month, day, hour - 8, tzinfo=UTC)


SPECS: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("A", "dongjie-cun", INSTANT, {"rating": 5}),
    ("B", "xinmin-cun", INSTANT, {"rating": 4}),
    ("C", "xinmin-cun", TOWN, {"rating": 3}),
    ("D", "xinmin-cun", OWING, {"defer": True, "rating": 2}),
    ("E", "dongjie-cun", OWING, {"defer": True, "rating": 1}),
    ("F", "dongjie-cun", TOWN, {"decline": True, "rating": 5}),
    ("G", "dongjie-cun", INSTANT, {"cancel_after": 3}),
    ("H", "dongjie-cun", OWING, {"rating": 5}),
]
ACTIONS: dict[str, list[tuple[ActionKind, datetime]]] = {
    "C": [(ActionKind.RECEIVED, cst(1, 12)), (ActionKind.COMPLETED, cst(2, 12))],
    "E": [(ActionKind.LAPSED, cst(2, 12))],
    "H": [
        (ActionKind.RECEIVED, cst(25)), (ActionKind.CORRECTION, cst(25, hour=15)),
        (ActionKind.RESUBMITTED, cst(26)), (ActionKind.COMPLETED, cst(27)),
    ],
}  # fmt: skip
_DATA: dict[ActionKind, dict[str, Any]] = {
    ActionKind.COMPLETED: {"result": "准予"},
    ActionKind.CORRECTION: {"asked": ["补充材料"]},
}


def seed(engine: Engine) -> dict[str, Any]:
    """Commit and project the eight cases, then record the hub's steps; their ids by letter."""
    events, ids = [], {}
    for i, (letter, unit, matter, kw) in enumerate(SPECS):
        case = ScriptedCase(unit, matter, start=START + timedelta(minutes=20 * i), clerk="c01")
        steps = case.transitions(**kw)
        ids[letter] = steps[0][1].case_id
        events += envelopes(unit, steps, seq0=100 * i + 1)
    ingest(engine, events)
    drain(engine)
    for letter, acts in ACTIONS.items():
        for kind, at in acts:
            with engine.begin() as conn:
                record_action(
                    conn, case_id=ids[letter], kind=kind, actor=OFFICE, at=at,
                    data=_DATA.get(kind, {}),
                )  # fmt: skip
    return ids


# By hand, from the table above (materials: HOU-001 asks 申请表, the ID card copy and the
# photo of the house, the photo owed under 容缺; BIR-002 and BIR-007 the form and the copy;
# everything else is waived or confirmed by the data registry).
EXPECTED_TOTALS: dict[str, Any] = {
    "cases": 8, "accepted": 6, "not_accepted": 1, "cancelled": 1, "completed": 4, "open": 2,
    "done_at_window": 2, "done_at_window_share": 0.3333, "instant": 2, "instant_share": 0.3333,
    # promised: A, B, H on time; C decided after its day; D, E undecided past theirs (12-09)
    "on_time_promised": {"on_time": 3, "late": 1, "overdue": 2, "rate": 0.5},
    # legal: C within its 40 days; D, E not yet due (12-29)
    "on_time_legal": {"on_time": 4, "late": 0, "overdue": 0, "rate": 1.0},
    "ratings": {"rated": 7, "good": 4, "bad": 2, "rate": 0.5714,
                "levels": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 3}},
    "deficiency": {"accepted": 2, "open": 2, "lapsed": 1, "supplied": 0, "withdrawn": 0},
    # completed A, B, C, H: before 8 + 8 + 10 + 9; asked 2 + 2 + 2 + 3; declared 1 + 1 + 1 + 2
    "materials": {"cases": 4, "before": 35, "measured": 9, "rate": 0.7429,
                  "declared": 5, "declared_rate": 0.8571},
    # steps before 6 + 6 + 6 + 5; taken 2 + 2 + 3 (受理, 镇受理, 办结) + 4 (…, 补正, 办结)
    "steps": {"cases": 4, "before": 23, "measured": 11, "rate": 0.5217,
              "declared": 11, "declared_rate": 0.5217},
    # legal days 10 + 10 + 40 + 20; taken 0 + 0 + 6 (11-24 to 12-02) + 3 (to 11-27)
    "time": {"cases": 4, "before": 80, "measured": 9, "rate": 0.8875,
             "declared": 10, "declared_rate": 0.875},
}  # fmt: skip
# 清水镇: A 5, E 1, F 5, H 5; 石桥镇: B 4, C 3, D 2
EXPECTED_GOOD_RATING = {"qingshui-zhen": 0.75, "shiqiao-zhen": 0.3333}
EXPECTED_CASES = {"qingshui-zhen": 5, "shiqiao-zhen": 3}
