"""Units' references carried to the hub's generation at ingest (hub.ingest.references), pure:
a tagged or untagged older reference is stored as the current one, without its tag; a tag the
hub cannot honour drops the reference instead of storing one that names nobody."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from hub.ingest.intake import Intake
from hub.ingest.references import to_current
from hub.ingest.sql import EventRow
from hub.window.idgen import Generations
from protocol import idchain

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
R1 = "ab" * 16
C2, C3 = b"\x02" * 32, b"\x03" * 32


def _intake(*datas: dict) -> Intake:
    intake = Intake()
    for data in datas:
        eid = uuid.uuid4()
        body = {"case_id": str(uuid.uuid4()), "state": "identified", "data": data}
        intake.batch.events[eid] = EventRow(eid, "u1", 1, NOW, "case.transition", None,
                                            "identified", None, json.dumps(body), NOW)  # fmt: skip
    return intake


def _data(intake: Intake) -> list[dict]:
    return [json.loads(r.body_json)["data"] for r in intake.batch.events.values()]


def test_older_references_are_stored_at_the_hubs_generation_and_untagged():
    gens = Generations(current=3, keys={2: C2, 3: C3})
    r2 = idchain.step(R1, C2)
    r3 = idchain.step(r2, C3)
    intake = _intake({"applicant": R1}, {"applicant": r2, "ref_generation": 2},
                     {"applicant": r3, "ref_generation": 3}, {"applicant": None})  # fmt: skip
    assert _data(to_current(intake, gens)) == [
        {"applicant": r3},
        {"applicant": r3},
        {"applicant": r3},
        {"applicant": None},
    ]


def test_a_generation_the_hub_cannot_honour_drops_the_reference():
    gens = Generations(current=2, keys={2: C2})
    intake = _intake({"applicant": R1, "ref_generation": 5, "id_masked": "3**8"},
                     {"applicant": R1, "ref_generation": "2"})  # fmt: skip
    assert _data(to_current(intake, gens)) == [{"id_masked": "3**8"}, {}]


def test_before_any_rotation_untagged_events_are_left_as_they_came():
    intake = _intake({"applicant": R1})
    before = next(iter(intake.batch.events.values())).body_json
    assert next(iter(to_current(intake, Generations()).batch.events.values())).body_json == before
