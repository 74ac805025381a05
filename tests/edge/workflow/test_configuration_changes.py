"""A configuration applied while a case is open: the case keeps the matter it selected (even
when the new catalog changed or dropped it), and deadlines are counted on the calendar in the
context, which each acceptance names."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from edge.workflow import errors as e
from edge.workflow.machine import case_matter
from edge.workflow.model import Accept, Case, CheckMaterials, SelectMatter
from protocol.calendar import WorkCalendar
from protocol.holidays import HolidayCalendar
from protocol.seed import SEED_CALENDAR
from tests.edge.workflow.factories import context, matter, run
from tests.edge.workflow.test_machine import ALL, FRONT, HOUSEHOLD, SHOWN


def county_calendar() -> WorkCalendar:
    """The seed plus two county days off right after the test's Thursday 2026-11-26."""
    data = json.loads(SEED_CALENDAR.read_text(encoding="utf-8"))
    data["version"] = 7
    data["years"][1]["holidays"].append(
        {"name": "县庆", "first": "2026-11-27", "last": "2026-11-30"}
    )
    return WorkCalendar.from_document(HolidayCalendar.model_validate(data))


def test_the_case_keeps_the_matter_it_selected_when_a_new_catalog_changes_it():
    before = context(matter(promised=3, legal=20))
    selected = run(before, *FRONT, SelectMatter("TST-001"))[-1].case
    changed = matter(promised=1, legal=5, deferrable=False)  # the new catalog's TST-001
    after = context(changed)
    steps = run(after, CheckMaterials(ALL, SHOWN, HOUSEHOLD), Accept(), case=selected)
    case = steps[-1].case
    assert case.matter == matter(promised=3, legal=20)
    assert (case.promised_days, case.legal_days) == (3, 20)
    assert case.deadlines is not None
    assert case.deadlines.promised_due == date(2026, 12, 1)  # 3 working days, not 1
    # the next case sees the new definition
    fresh = run(after, *FRONT, SelectMatter("TST-001"))[-1].case
    assert fresh.promised_days == 1


def test_the_case_goes_on_when_the_new_catalog_drops_its_matter():
    selected = run(context(), *FRONT, SelectMatter("TST-001"))[-1].case
    without = context(matter("TST-002"))
    steps = run(without, CheckMaterials(ALL, SHOWN, HOUSEHOLD), Accept(), case=selected)
    assert steps[-1].case.state.value == "accepted"
    with pytest.raises(e.UnknownMatter):
        run(without, *FRONT, SelectMatter("TST-001"))


def test_a_snapshot_from_before_cases_kept_their_matter_falls_back_to_the_catalog():
    selected = run(context(), *FRONT, SelectMatter("TST-001"))[-1].case
    legacy = Case.model_validate({**selected.model_dump(mode="json"), "matter": None})
    assert case_matter(legacy, {"TST-001": matter()}) == matter()
    with pytest.raises(e.UnknownMatter):
        case_matter(legacy, {})


def test_deadlines_are_counted_on_the_contexts_calendar_and_the_acceptance_names_it():
    seed_ctx = context()
    county = replace(seed_ctx, calendar=county_calendar(), calendar_source="config")
    seeded = run(seed_ctx, *FRONT, SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, HOUSEHOLD),
                 Accept())[-1]  # fmt: skip
    counted = run(county, *FRONT, SelectMatter("TST-001"), CheckMaterials(ALL, SHOWN, HOUSEHOLD),
                  Accept())[-1]  # fmt: skip
    assert seeded.transition.data["promised_due"] == "2026-12-01"
    assert counted.transition.data["promised_due"] == "2026-12-03"  # Fri and Mon are off
    assert counted.transition.data["calendar_version"] == 7
    assert counted.transition.data["calendar_source"] == "config"
    assert counted.transition.data["calendar_known"] is True
    assert seeded.transition.data["calendar_version"] == 1
    assert counted.case.deadlines is not None
    assert counted.case.deadlines.calendar_version == 7


def test_a_deficiency_slip_keeps_the_days_it_was_given_after_the_calendar_changes():
    ctx = context()
    done = run(ctx, *FRONT, SelectMatter("TST-001"), CheckMaterials(frozenset({"申请表"}), SHOWN,
               HOUSEHOLD), Accept(defer=True))[-1].case  # fmt: skip
    assert done.deadlines is not None
    assert done.deadlines.supply_days == 5
