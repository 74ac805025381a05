"""Calendar documents for the hub's tests: the seed with one more year, as a newer version."""

from __future__ import annotations

import copy
import json
from typing import Any

from protocol.seed import SEED_CALENDAR

YEAR_2027: dict[str, Any] = {
    "year": 2027,
    "notice": {"title": "国务院办公厅关于2027年部分节假日安排的通知", "published": "2026-11-20"},
    "holidays": [{"name": "元旦", "first": "2027-01-01", "last": "2027-01-03"}],
    "workdays": [],
}


def seed_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED_CALENDAR.read_text(encoding="utf-8"))
    return data


def with_2027(version: int = 2) -> dict[str, Any]:
    data = seed_data()
    data["version"] = version
    data["years"].append(copy.deepcopy(YEAR_2027))
    return data


def text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)
