"""The indicators' definitions on single cases, without a database: what counts as on time
against each limit, what a rating, a 容缺 state and a reduction contribute, and rates with
nothing to divide."""

from __future__ import annotations

import dataclasses
from datetime import date

from hub.indicators.measure import AT, CaseFacts, Measure, measure
from hub.indicators.report import figures
from protocol.calendar import WorkCalendar
from protocol.catalog import Approval
from tests.support.cases import matter_where

OWING = matter_where(approval=Approval.TOWN, deferrable=True)  # HOU-001: 9 materials, 5 steps
TODAY = date(2026, 12, 24)
MEASURE = Measure({OWING.code: OWING}, WorkCalendar.china(), TODAY)
CASE = CaseFacts(
    unit="dongjie-cun", matter_code=OWING.code, opened_on=date(2026, 11, 24), status="completed",
    instant=False, forwarded_to="town", accepted_on=date(2026, 11, 24),
    legal_due=date(2026, 12, 22), promised_due=date(2026, 12, 2), ended_on=date(2026, 12, 1),
    deficiency="none", rating=5, materials_received=3, owed=0, steps_taken=3,
)  # fmt: skip


def tally(**changes: object) -> list[int]:
    return MEASURE.tally(dataclasses.replace(CASE, **changes))  # type: ignore[arg-type]


def test_a_case_decided_past_its_promised_day_but_within_its_legal_one():
    t = tally(ended_on=date(2026, 12, 3))
    assert (t[AT["promised_on_time"]], t[AT["promised_late"]]) == (0, 1)
    assert (t[AT["legal_on_time"]], t[AT["legal_late"]]) == (1, 0)


def test_a_case_decided_on_its_due_day_is_on_time():
    t = tally(ended_on=date(2026, 12, 2))
    assert t[AT["promised_on_time"]] == 1


def test_an_undecided_case_past_its_day_is_late_already_and_one_within_it_counts_nowhere():
    overdue = tally(
        status="received", ended_on=None, promised_due=date(2026, 12, 23),
        legal_due=date(2027, 1, 5),
    )  # fmt: skip
    assert overdue[AT["promised_overdue"]] == 1
    assert overdue[AT["legal_overdue"]] == 0
    within = tally(status="received", ended_on=None, promised_due=TODAY, legal_due=TODAY)
    assert [within[AT[f"promised_{k}"]] for k in ("on_time", "late", "overdue")] == [0, 0, 0]


def test_a_rejection_by_the_back_office_is_a_decision_on_time_or_late():
    assert tally(status="rejected", ended_on=date(2026, 12, 1))[AT["promised_on_time"]] == 1
    late = tally(status="rejected", ended_on=date(2026, 12, 10))
    assert late[AT["promised_late"]] == 1
    assert late[AT["completed"]] == 0
    assert late[AT["material_cases"]] == 0  # reductions are measured on completed cases only


def test_cases_never_accepted_have_no_time_limit():
    for status in ("not_accepted", "cancelled", "withdrawn"):
        t = tally(status=status, accepted_on=None if status != "withdrawn" else CASE.accepted_on)
        assert sum(t[AT[f"promised_{k}"]] for k in ("on_time", "late", "overdue")) == 0


def test_ratings_4_and_5_are_good_1_and_2_bad_and_an_unrated_case_counts_in_neither():
    total = [0] * len(AT)
    for level in (5, 4, 3, 2, 1, None):
        for i, v in enumerate(tally(rating=level)):
            total[i] += v
    f = figures(total).ratings
    assert (f.rated, f.good, f.bad, f.rate) == (5, 2, 2, 0.4)
    assert f.levels == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}


def test_a_deficiency_case_is_open_while_owed_or_lapsed_and_lapsed_only_past_its_day():
    owed, lapsed = tally(deficiency="owed"), tally(deficiency="lapsed")
    assert (owed[AT["deficiency_open"]], owed[AT["deficiency_lapsed"]]) == (1, 0)
    assert (lapsed[AT["deficiency_open"]], lapsed[AT["deficiency_lapsed"]]) == (1, 1)
    for state in ("supplied", "withdrawn"):
        t = tally(deficiency=state)
        assert (t[AT["deficiency_accepted"]], t[AT["deficiency_open"]]) == (1, 0)
        assert t[AT[f"deficiency_{state}"]] == 1
    assert tally()[AT["deficiency_accepted"]] == 0


def test_reductions_count_what_a_case_asked_took_and_lasted_against_its_matter():
    t = tally(materials_received=2, owed=1)  # the photo of the house owed under 容缺
    assert (t[AT["materials_before"]], t[AT["materials_asked"]]) == (9, 3)
    assert t[AT["materials_declared"]] == OWING.materials_after
    assert (t[AT["steps_before"]], t[AT["steps_taken"]]) == (5, 3)
    # 11-24 to 12-01: 25, 26, 27, 30 November and 1 December
    assert (t[AT["legal_days"]], t[AT["days_taken"]], t[AT["promised_days"]]) == (20, 5, 6)


def test_a_record_without_a_fact_is_left_out_of_that_reduction_only():
    t = tally(materials_received=None, steps_taken=None)
    assert (t[AT["material_cases"]], t[AT["step_cases"]], t[AT["time_cases"]]) == (0, 0, 1)
    assert tally(matter_code="XXX-999")[AT["time_cases"]] == 0  # not in the catalog


def test_rates_are_pooled_over_cases_not_averaged_and_none_when_nothing_divides():
    small = dataclasses.replace(CASE, unit="xinmin-cun", materials_received=9)  # nothing cut
    cases = [CASE] * 3 + [small]  # 3 + 3 + 3 + 9 asked of 4 x 9
    f = figures(measure(cases, MEASURE).total)
    assert f.materials.rate == round(1 - 18 / 36, 4)
    empty = figures(measure([], MEASURE).total)
    assert (empty.ratings.rate, empty.on_time_promised.rate, empty.materials.rate) == (
        None, None, None,
    )  # fmt: skip
    assert empty.cases == 0


def test_cases_are_summed_by_village_matter_and_opening_day():
    other_day = dataclasses.replace(CASE, opened_on=date(2026, 11, 25), unit="xinmin-cun")
    sums = measure([CASE, CASE, other_day], MEASURE)
    assert sums.total[AT["cases"]] == 3
    assert {u: t[AT["cases"]] for u, t in sums.by_unit.items()} == {
        "dongjie-cun": 2, "xinmin-cun": 1,
    }  # fmt: skip
    assert {d.day: t[AT["cases"]] for d, t in sums.by_day.items()} == {24: 2, 25: 1}
    assert sums.by(lambda unit: unit[0])["d"][AT["cases"]] == 2
