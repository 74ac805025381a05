"""The record's follow-up rules as a pure function: 一事一评 (the first rating stands), 补齐 in
parts, and a 补齐 racing the hub's lapse and withdrawal (whichever came first stands)."""

import uuid
from datetime import timedelta

from hub.cases.fold import ActionKind, Deficiency, Status, fold, remaining_owed
from tests.hub.cases.records import action, record, unit_events
from tests.support.cases import START, ScriptedCase, later_transition
from tests.support.deficiency import TOWN_OWING

DAY = timedelta(days=1)
CASE = uuid.UUID(int=0)


def _events(**kw):
    return unit_events("v001", ScriptedCase("v001", TOWN_OWING, clerk="c01").transitions(**kw))


def _rerated(events, level, label, at):
    """The case's events and a second `rated` event from the same window, later in its order
    (a replayed or forged step)."""
    return events + unit_events(
        "v001", [later_transition(CASE, "rated", at, level=level, label=label)]
    )


def test_the_first_rating_stands_and_a_second_rated_event_changes_nothing():
    events = _events(rating=2)
    first = record(events)
    assert (first["rating"], first["rating_label"]) == (2, "不满意")
    again = record(_rerated(events, 5, "非常满意", START + DAY))
    assert (again["rating"], again["rating_label"]) == (2, "不满意")
    assert again["rated_at"] == first["rated_at"]
    # however the events arrive: the unit's order decides, not the arrival
    shuffled = list(reversed(_rerated(events, 5, "非常满意", START + DAY)))
    assert fold(CASE, shuffled, [])["rating"] == 2  # type: ignore[index]


def test_a_rating_from_another_window_is_ignored():
    events = _events(rating=1)
    other = unit_events("v002", [later_transition(CASE, "rated", START + DAY, level=5)])
    assert record(events + other)["rating"] == 1


def test_owed_materials_supplied_in_two_parts():
    events = _events(defer=True)
    owed = record(events)["owed"]
    assert owed
    part = later_transition(CASE, "supplied", START + DAY, materials=["不在清单上的材料"])
    rec = record(events + unit_events("v002", [part]))
    assert rec["deficiency"] == Deficiency.OWED  # nothing owed was handed in
    rest = later_transition(CASE, "supplied", START + 2 * DAY, materials=owed)
    rec = record(events + unit_events("v002", [part, rest]))
    assert (rec["deficiency"], rec["supplied_at"]) == (Deficiency.SUPPLIED, START + 2 * DAY)
    assert rec["owed"] == owed  # what was owed at acceptance stays on the record
    assert remaining_owed(["a", "b"], [{"materials": ["a"]}]) == ["b"]
    assert remaining_owed(["a", "b"], [{}]) == []  # none named: everything


def test_a_supply_after_the_withdrawal_does_not_bring_the_case_back():
    events = _events(defer=True)
    lapsed = action(ActionKind.LAPSED, START + 8 * DAY)
    withdrawn = action(ActionKind.WITHDRAWN, START + 14 * DAY, reason="逾期")
    late = later_transition(CASE, "supplied", START + 15 * DAY, materials=record(events)["owed"])
    rec = record(events + unit_events("v002", [late]), [lapsed, withdrawn])
    assert (rec["deficiency"], rec["status"]) == (Deficiency.WITHDRAWN, Status.WITHDRAWN)


def test_a_supply_made_before_the_lapse_wins_even_when_it_arrives_after_the_withdrawal():
    """A window offline for days: its 补齐 has the earlier time, so the hub's lapse and
    withdrawal (later in time) find nothing owed."""
    events = _events(defer=True)
    early = later_transition(CASE, "supplied", START + 2 * DAY, materials=record(events)["owed"])
    lapsed = action(ActionKind.LAPSED, START + 8 * DAY)
    withdrawn = action(ActionKind.WITHDRAWN, START + 14 * DAY)
    rec = record(events + unit_events("v002", [early]), [lapsed, withdrawn])
    assert (rec["deficiency"], rec["status"]) == (Deficiency.SUPPLIED, Status.FORWARDED)


def test_a_supply_during_the_grace_period_stops_the_withdrawal():
    events = _events(defer=True)
    lapsed = action(ActionKind.LAPSED, START + 8 * DAY)
    during = later_transition(CASE, "supplied", START + 9 * DAY)
    withdrawn = action(ActionKind.WITHDRAWN, START + 14 * DAY)
    rec = record(events + unit_events("v002", [during]), [lapsed, withdrawn])
    assert rec["deficiency"] == Deficiency.SUPPLIED
    assert rec["times"]["lapsed"] < rec["times"]["supplied"]
