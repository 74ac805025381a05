"""The two facts the indicators' reductions read from a case record: the materials handed in
at the window and the procedure's steps the case went through (hub.cases.fold.steps_taken)."""

from datetime import timedelta

from hub.cases.fold import ActionKind
from protocol.catalog import Approval
from tests.hub.cases.records import action, record, unit_events
from tests.support.cases import START, ScriptedCase, matter_where

TOWN_OWING = matter_where(approval=Approval.TOWN, deferrable=True)  # HOU-001
INSTANT = matter_where(approval=Approval.WINDOW, instant=True)
DAY = timedelta(days=1)


def _events(matter=TOWN_OWING, **kw):
    return unit_events("v001", ScriptedCase("v001", matter, clerk="c01").transitions(**kw))


def test_an_instant_case_takes_two_steps_and_counts_the_materials_handed_in():
    rec = record(_events(INSTANT))
    assert rec["steps_taken"] == 2  # 窗口受理, 窗口办结
    assert rec["materials_received"] == 2  # the form and the ID card's copy


def test_the_back_offices_steps_count_each_correction_and_not_the_resubmission_or_notes():
    events = _events()
    acts = [
        action(ActionKind.RECEIVED, START + DAY),
        action(ActionKind.CORRECTION, START + 2 * DAY, asked=["房屋现状照片"]),
        action(ActionKind.RESUBMITTED, START + 3 * DAY),
        action(ActionKind.CORRECTION, START + 4 * DAY, asked=["说明"]),
        action(ActionKind.RESUBMITTED, START + 5 * DAY),
        action(ActionKind.NOTE, START + 5 * DAY, note="电话联系"),
        action(ActionKind.COMPLETED, START + 6 * DAY, result="准予"),
    ]
    assert record(events)["steps_taken"] == 1  # 窗口受理; forwarding is no step
    assert record(events, acts)["steps_taken"] == 5  # + 受理, 补正, 补正, 办结
    assert record(events, acts)["materials_received"] == 3


def test_an_action_the_status_does_not_allow_is_no_step():
    rec = record(_events(INSTANT), [action(ActionKind.COMPLETED, START + DAY, result="x")])
    assert rec["steps_taken"] == 2


def test_a_deficiency_case_hands_in_less_and_owes_the_rest():
    rec = record(_events(defer=True))
    assert rec["materials_received"] == 2
    assert len(rec["owed"]) == 1


def test_a_declined_case_took_no_step_and_a_bad_count_is_unknown():
    assert record(_events(decline=True))["steps_taken"] == 0
    events = _events(INSTANT)
    checked = next(i for i, e in enumerate(events) if e.state == "materials_checked")
    for bad in (-1, 65, True, "3", None):
        forged = events[checked]
        data = {**forged.data, "received": bad}
        events[checked] = type(forged)(
            forged.ts, forged.unit, forged.seq, forged.state, forged.matter_code, data
        )
        assert record(events)["materials_received"] is None, bad
