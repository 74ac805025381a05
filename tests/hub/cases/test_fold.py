"""The case record as a pure function of a case's events and actions."""

import random
import uuid
from datetime import date, timedelta

import pytest

from hub.cases.fold import ActionKind, Deficiency, Status, fold
from protocol.catalog import Approval
from tests.hub.cases.records import action, record, unit_events
from tests.support.cases import START, ScriptedCase, later_transition, matter_where

TOWN_OWING = matter_where(approval=Approval.TOWN, deferrable=True)
INSTANT = matter_where(approval=Approval.WINDOW, instant=True)
DAY = timedelta(days=1)
CASE = uuid.UUID(int=0)


def _events(unit="v001", matter=TOWN_OWING, clerk="c01", **kw):
    return unit_events(unit, ScriptedCase(unit, matter, clerk=clerk).transitions(**kw))


def test_an_instant_case_is_completed_at_the_window_with_everything_the_county_counts():
    rec = record(_events(matter=INSTANT))
    assert rec["status"] == Status.COMPLETED
    assert rec["instant"] is True
    assert rec["approval"] == "window"
    assert rec["id_method"] == "id_card"
    assert len(rec["applicant_ref"]) == 32
    assert rec["id_masked"].count("*") >= 8
    assert rec["clerk"] == "c01"
    assert rec["rating"] == 5
    assert rec["rating_label"] == "非常满意"
    assert rec["ended_at"].isoformat() == rec["times"]["approved"]
    assert rec["ended_at"] is not None
    assert rec["accepted_on"] == date(2026, 11, 24)
    assert rec["promised_due"] == rec["accepted_on"]  # 即办: promised in 0 days
    assert rec["waived"]
    assert all(len(w) == 2 for w in rec["waived"])
    assert rec["given"]


def test_a_forwarded_case_goes_through_the_back_office_to_completion():
    events = _events()
    at = START + DAY
    rec = record(events)
    assert (rec["status"], rec["forwarded_to"]) == (Status.FORWARDED, "town")
    received = record(events, [action(ActionKind.RECEIVED, at)])
    assert received["status"] == Status.RECEIVED
    asked = action(ActionKind.CORRECTION, at + DAY, asked=["房屋现状照片"])
    again = action(ActionKind.RESUBMITTED, at + 2 * DAY)
    done = action(ActionKind.COMPLETED, at + 3 * DAY, result="准予建房")
    rec = record(events, [action(ActionKind.RECEIVED, at), asked])
    assert rec["status"] == Status.CORRECTION
    rec = record(events, [action(ActionKind.RECEIVED, at), asked, again, done])
    assert (rec["status"], rec["result"]) == (Status.COMPLETED, "准予建房")
    assert rec["ended_at"] == at + 3 * DAY
    assert set(rec["times"]) >= {"received", "correction", "resubmitted", "completed"}


def test_a_back_office_action_on_a_case_the_window_decided_changes_nothing():
    events = _events(matter=INSTANT)
    rec = record(events, [action(ActionKind.REJECTED, START + DAY, reason="x")])
    assert rec["status"] == Status.COMPLETED
    assert rec["result"] is None


def test_the_record_is_the_same_whatever_order_and_however_often_events_arrive():
    events = _events(defer=True)
    acts = [action(ActionKind.RECEIVED, START + DAY), action(ActionKind.LAPSED, START + 9 * DAY)]
    expected = record(events, acts)
    rng = random.Random(7)
    for _ in range(50):
        shuffled = events * rng.randint(1, 3)
        rng.shuffle(shuffled)
        seen = {(e.unit, e.seq) for e in shuffled}
        assert len(seen) == len(events)
        got = fold(expected["case_id"], shuffled, rng.sample(acts, len(acts)))
        assert got is not None
        assert {k: v for k, v in got.items() if k not in ("events", "actions")} == {
            k: v for k, v in expected.items() if k not in ("events", "actions")
        }


def test_a_case_whose_opening_has_not_arrived_has_no_record_yet():
    assert fold(CASE, _events()[1:], []) is None


def test_deficiency_owed_then_supplied_at_another_village_window():
    events = _events(defer=True)
    rec = record(events)
    assert rec["deficiency"] == Deficiency.OWED
    assert rec["owed"] == ["房屋现状照片"]
    assert rec["supply_by"] is not None
    supplied = later_transition(CASE, "supplied", START + 2 * DAY, materials=["房屋现状照片"])
    later = unit_events("v002", [supplied])
    rec = record(events + later)
    assert rec["deficiency"] == Deficiency.SUPPLIED
    assert rec["supplied_at"] == START + 2 * DAY
    assert rec["unit"] == "v001"  # the other window recorded the supply, not the case


def test_an_owed_case_lapses_and_is_withdrawn_after_the_grace_period():
    events = _events(defer=True)
    lapsed = action(ActionKind.LAPSED, START + 7 * DAY)
    withdrawn = action(ActionKind.WITHDRAWN, START + 12 * DAY, reason="逾期未补齐材料")
    rec = record(events, [lapsed])
    assert (rec["deficiency"], rec["status"]) == (Deficiency.LAPSED, Status.FORWARDED)
    rec = record(events, [lapsed, withdrawn])
    assert (rec["deficiency"], rec["status"]) == (Deficiency.WITHDRAWN, Status.WITHDRAWN)
    assert rec["result"] == "逾期未补齐材料"


def test_withdrawal_needs_a_lapse_first_and_a_supply_stops_it():
    events = _events(defer=True)
    assert record(events, [action(ActionKind.WITHDRAWN, START + DAY)])["status"] == "forwarded"
    supply = action(ActionKind.SUPPLIED, START + 8 * DAY)
    lapsed = action(ActionKind.LAPSED, START + 7 * DAY)
    withdrawn = action(ActionKind.WITHDRAWN, START + 12 * DAY)
    rec = record(events, [lapsed, supply, withdrawn])
    assert rec["deficiency"] == Deficiency.SUPPLIED
    assert rec["status"] == Status.FORWARDED


def test_a_declined_case_keeps_what_was_missing_and_a_cancelled_one_its_reason():
    rec = record(_events(decline=True))
    assert rec["status"] == Status.NOT_ACCEPTED
    assert rec["missing"]
    rec = record(_events(cancel_after=3))
    assert (rec["status"], rec["outcome"], rec["result"]) == (
        "cancelled",
        "cancelled",
        "申请人临时有事",
    )


@pytest.mark.parametrize("level", [1, 2])
def test_a_bad_rating_keeps_its_reason(level):
    rec = record(_events(matter=INSTANT, rating=level))
    assert rec["rating"] == level
    assert rec["rating_reason"] == "办理时间太长"


def test_only_the_opening_window_moves_the_window_state():
    events = _events()
    closing = later_transition(CASE, "closed", START + DAY, outcome="cancelled")
    assert record(events + unit_events("v009", [closing]))["status"] == Status.FORWARDED


def test_an_applicant_refusing_to_sign_ends_the_case_with_nothing_owed():
    from dataclasses import replace

    events = _events(defer=True)
    cut = next(i for i, e in enumerate(events) if e.state == "deficiency_accepted") + 1
    last = events[cut - 1]
    refused = replace(last, ts=last.ts + timedelta(minutes=1), seq=last.seq + 1,
                      state="not_accepted",
                      data={"missing": ["房屋现状照片"], "reason": "申请人不同意承诺",
                            "refused_to_sign": True})  # fmt: skip
    rec = record([*events[:cut], refused])
    assert (rec["status"], rec["deficiency"]) == (Status.NOT_ACCEPTED, Deficiency.NONE)
    assert (rec["owed"], rec["supply_by"], rec["promised_due"]) == ([], None, None)
    assert rec["missing"] == ["房屋现状照片"]
    assert rec["result"] == "申请人不同意承诺"


def test_a_case_identified_while_the_hub_was_away_gets_its_reference_from_the_later_event():
    from hub.cases.fold import UnitEvent
    from protocol.case import REFERENCE_RESOLVED_STATE

    events = _events(matter=INSTANT)
    pending = [
        UnitEvent(e.ts, e.unit, e.seq, e.state, e.matter_code,
                  {**e.data, "applicant": None, "reference": "pending"}
                  if e.state == "identified" else e.data)
        for e in events
    ]  # fmt: skip
    assert record(pending)["applicant_ref"] is None
    ref = "0123456789abcdef" * 2
    last = events[-1]
    resolved = UnitEvent(
        last.ts + DAY, "v001", last.seq + 1, REFERENCE_RESOLVED_STATE, None,
        {"applicant": ref, "blacklisted": False, "blacklist_checked": True},
    )  # fmt: skip
    rec = record([*pending, resolved])
    assert rec["applicant_ref"] == ref
    assert rec["status"] == Status.COMPLETED  # the window's part stands as it was
    assert REFERENCE_RESOLVED_STATE in rec["times"]
    # another unit cannot give this case a reference
    stranger = UnitEvent(last.ts + DAY, "v002", 1, REFERENCE_RESOLVED_STATE, None,
                         {"applicant": "f" * 32})  # fmt: skip
    assert record([*pending, stranger])["applicant_ref"] is None
