"""Units' references carried to the hub's generation at ingest (hub.ingest.references), pure:
a tagged or untagged older reference is stored as the current one, without its tag; a tag the
hub cannot honour drops the reference instead of storing one that names nobody."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from hub.ingest.references import to_current
from hub.ingest.sql import EventRow
from hub.window.idgen import Generations
from protocol import idchain

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
R1 = "ab" * 16
C2, C3 = b"\x02" * 32, b"\x03" * 32


def _rows(*datas: dict) -> list[EventRow]:
    rows = []
    for data in datas:
        eid = uuid.uuid4()
        body = {"case_id": str(uuid.uuid4()), "state": "identified", "data": data}
        rows.append(EventRow(eid, "u1", 1, NOW, "case.transition", None, "identified", None,
                             json.dumps(body), NOW))  # fmt: skip
    return rows


def _data(rows: list[EventRow]) -> list[dict]:
    return [json.loads(r.body_json)["data"] for r in rows]


def test_older_references_are_stored_at_the_hubs_generation_and_untagged():
    gens = Generations(current=3, keys={2: C2, 3: C3})
    r2 = idchain.step(R1, C2)
    r3 = idchain.step(r2, C3)
    rows = _rows({"applicant": R1}, {"applicant": r2, "ref_generation": 2},
                     {"applicant": r3, "ref_generation": 3}, {"applicant": None})  # fmt: skip
    assert _data(to_current(rows, gens)) == [
        {"applicant": r3},
        {"applicant": r3},
        {"applicant": r3},
        {"applicant": None},
    ]


def test_a_generation_the_hub_cannot_honour_drops_the_reference():
    gens = Generations(current=2, keys={2: C2})
    rows = _rows({"applicant": R1, "ref_generation": 5, "id_masked": "3**8"},
                     {"applicant": R1, "ref_generation": "2"})  # fmt: skip
    assert _data(to_current(rows, gens)) == [{"id_masked": "3**8"}, {}]


def test_before_any_rotation_untagged_events_are_left_as_they_came():
    rows = _rows({"applicant": R1})
    assert to_current(rows, Generations()) == rows
