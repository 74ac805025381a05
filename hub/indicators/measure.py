"""What each case contributes to the county's indicators, and the sums over groups of cases.
Pure: no database, no clock (``today`` is given), no catalog lookups beyond the mapping given.

A case belongs to the period of the day it was **opened** (China time); the figures describe
what became of those cases up to ``today``. Every rate is **pooled**, as the catalog's declared
figures are (hub.catalog.indicators): the sum of the parts over the sum of the wholes across
all the cases of a group, never an average of per-village or per-matter rates. A rate with
nothing to divide is None (shown as —), never 0.

- cases: opened in the period. accepted: accepted at the window (受理 or 容缺受理).
  completed: 办结 (at the window or by the back office). open: not ended yet.
- done at the window: completed without being forwarded (窗口直审 / 即办); share = done at the
  window / accepted. instant: done at the window and the matter is 即办; share = instant /
  accepted.
- on time against the promised (承诺) and the legal (法定) limit, each on the due day the unit
  counted in working days on its signed calendar: a case decided (办结, or 不予受理 by the back
  office) on or before its due day is on time, after it late; a case not yet decided whose due
  day has passed is overdue and counts as late already. rate = on time / (on time + late +
  overdue); cases still within their limit count on neither side.
- good-rating rate = (非常满意 + 满意) / rated cases (一事一评: one rating per case);
  rated says how many cases were rated.
- 容缺: cases accepted with materials owed; open = still owing (owed or lapsed); lapsed = past
  the supply day and not yet withdrawn; supplied (补齐); withdrawn (撤回 after the grace period).
- reductions, measured over the **completed** cases whose matter the current catalog lists,
  against that matter's before-reform figures:
  - materials: 1 - Σ materials asked / Σ ``materials_before``; asked = handed in at the window
    plus owed under 容缺 (waived ones, originals shown instead of a copy, photos taken at the
    window and materials asked only in some cases are not asked);
  - steps: 1 - Σ steps taken / Σ len(``steps_before``) (hub.cases.fold.steps_taken);
  - time: 1 - Σ working days taken / Σ ``legal_days``; taken = working days from the day of
    acceptance to the day of 办结 on the county's calendar (0 when done the same day).
  Each also carries the catalog's declared figure over the same cases (Σ ``materials_after``,
  Σ len(``steps_after``), Σ ``promised_days``) as the target (目标/承诺) it is compared with.
  A case whose record predates a fact (materials received, steps) is left out of that one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TypeVar

from hub.cases.fold import OPEN_STATUSES, PENDING_DECISION, Deficiency, Status
from protocol.calendar import WorkCalendar
from protocol.catalog import Matter
from protocol.labels import BAD_RATINGS, GOOD_RATINGS

DECIDED = frozenset({Status.COMPLETED, Status.REJECTED})
_PENDING = frozenset(s.value for s in PENDING_DECISION)
_OPEN = frozenset(s.value for s in OPEN_STATUSES)
_DEFICIENCY_STATES = frozenset(
    {Deficiency.LAPSED, Deficiency.SUPPLIED, Deficiency.WITHDRAWN}
)  # each has its own counter; "owed" is counted as open only


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """The columns of one case_record row the indicators read (dates local to China)."""

    unit: str
    matter_code: str | None
    opened_on: date
    status: str
    instant: bool
    forwarded_to: str | None
    accepted_on: date | None
    legal_due: date | None
    promised_due: date | None
    ended_on: date | None
    deficiency: str
    rating: int | None
    materials_received: int | None
    owed: int  # materials owed at 容缺 acceptance
    steps_taken: int | None


# One counter per name; a group's tally is a list of them in this order.
FIELDS = (
    "cases", "accepted", "not_accepted", "cancelled", "completed", "open",
    "done_at_window", "instant",
    "promised_on_time", "promised_late", "promised_overdue",
    "legal_on_time", "legal_late", "legal_overdue",
    "rated", "good", "bad", "level_1", "level_2", "level_3", "level_4", "level_5",
    "deficiency_accepted", "deficiency_open", "deficiency_lapsed", "deficiency_supplied",
    "deficiency_withdrawn",
    "material_cases", "materials_before", "materials_asked", "materials_declared",
    "step_cases", "steps_before", "steps_taken", "steps_declared",
    "time_cases", "legal_days", "days_taken", "promised_days",
)  # fmt: skip
AT = {name: i for i, name in enumerate(FIELDS)}
Tally = list[int]


def empty() -> Tally:
    return [0] * len(FIELDS)


def add(into: Tally, other: Tally) -> None:
    for i, v in enumerate(other):
        if v:
            into[i] += v


def _timeliness(f: CaseFacts, due: date | None, today: date) -> str | None:
    """Whether the case met ``due``: on_time, late, overdue (undecided past it), or None while
    it is within its limit or has none."""
    if due is None or f.accepted_on is None:
        return None
    if f.status in DECIDED:
        if f.ended_on is None:
            return None
        return "on_time" if f.ended_on <= due else "late"
    if f.status in _PENDING and due < today:
        return "overdue"
    return None


@dataclass(frozen=True, slots=True)
class _Before:
    """A matter's before/after figures, computed once (the catalog's are properties)."""

    materials_before: int
    materials_after: int
    steps_before: int
    steps_after: int
    legal_days: int
    promised_days: int


Sparse = list[tuple[int, int]]  # (field index, value) for the counters a case moves


class Measure:
    """Turns cases into tallies: ``matters`` is the current catalog by code, ``cal`` the
    county's working-day calendar, ``today`` the day open cases are judged on."""

    def __init__(self, matters: Mapping[str, Matter], cal: WorkCalendar, today: date) -> None:
        self.matters = {
            code: _Before(
                m.materials_before, m.materials_after, len(m.steps_before), len(m.steps_after),
                m.legal_days, m.promised_days,
            )
            for code, m in matters.items()
        }  # fmt: skip
        self.today = today
        self.days_between: Callable[[date, date], int] = lru_cache(maxsize=4096)(
            cal.working_days_between
        )

    def tally(self, f: CaseFacts) -> Tally:
        t = empty()
        for i, v in self.sparse(f):
            t[i] += v
        return t

    def sparse(self, f: CaseFacts) -> Sparse:
        """The counters this case moves, and by how much."""
        out: Sparse = [(AT["cases"], 1)]
        on = out.append
        status = f.status
        accepted = f.accepted_on is not None
        completed = status == Status.COMPLETED
        if accepted:
            on((AT["accepted"], 1))
        if status == Status.NOT_ACCEPTED:
            on((AT["not_accepted"], 1))
        elif status == Status.CANCELLED:
            on((AT["cancelled"], 1))
        elif completed:
            on((AT["completed"], 1))
            if f.forwarded_to is None:
                on((AT["done_at_window"], 1))
                if f.instant:
                    on((AT["instant"], 1))
        if status in _OPEN:
            on((AT["open"], 1))
        for limit, due in (("promised", f.promised_due), ("legal", f.legal_due)):
            kind = _timeliness(f, due, self.today)
            if kind is not None:
                on((AT[f"{limit}_{kind}"], 1))
        if f.rating is not None and 1 <= f.rating <= 5:
            on((AT["rated"], 1))
            on((AT[f"level_{f.rating}"], 1))
            if f.rating in GOOD_RATINGS:
                on((AT["good"], 1))
            elif f.rating in BAD_RATINGS:
                on((AT["bad"], 1))
        if f.deficiency != Deficiency.NONE:
            on((AT["deficiency_accepted"], 1))
            if f.deficiency in (Deficiency.OWED, Deficiency.LAPSED):
                on((AT["deficiency_open"], 1))
            if f.deficiency in _DEFICIENCY_STATES:
                on((AT[f"deficiency_{f.deficiency}"], 1))
        matter = self.matters.get(f.matter_code) if f.matter_code else None
        if completed and accepted and matter is not None:
            self._reductions(on, f, matter)
        return out

    def _reductions(self, on: Callable[[tuple[int, int]], None], f: CaseFacts, m: _Before) -> None:
        if f.materials_received is not None:
            on((AT["material_cases"], 1))
            on((AT["materials_before"], m.materials_before))
            on((AT["materials_asked"], f.materials_received + f.owed))
            on((AT["materials_declared"], m.materials_after))
        if f.steps_taken is not None:
            on((AT["step_cases"], 1))
            on((AT["steps_before"], m.steps_before))
            on((AT["steps_taken"], f.steps_taken))
            on((AT["steps_declared"], m.steps_after))
        if f.accepted_on is not None and f.ended_on is not None:
            on((AT["time_cases"], 1))
            on((AT["legal_days"], m.legal_days))
            on((AT["days_taken"], self.days_between(f.accepted_on, f.ended_on)))
            on((AT["promised_days"], m.promised_days))


K = TypeVar("K", bound=Hashable)


@dataclass
class Sums:
    """Tallies summed per village (unit), matter and opening day, and over everything."""

    total: Tally
    by_unit: dict[str, Tally]
    by_matter: dict[str | None, Tally]
    by_day: dict[date, Tally]

    def by(self, key: Callable[[str], K]) -> dict[K, Tally]:
        """The per-unit tallies rolled up by ``key(unit)`` (e.g. the unit's town)."""
        out: dict[K, Tally] = {}
        for unit, t in self.by_unit.items():
            add(out.setdefault(key(unit), empty()), t)
        return out


def measure(facts: Iterable[CaseFacts], m: Measure) -> Sums:
    """One pass over the cases, each adding the few counters it moves to its village's,
    matter's and opening day's tallies and the total."""
    sums = Sums(empty(), {}, {}, {})
    total, by_unit, by_matter, by_day = sums.total, sums.by_unit, sums.by_matter, sums.by_day
    for f in facts:
        unit = by_unit.get(f.unit) or by_unit.setdefault(f.unit, empty())
        matter = by_matter.get(f.matter_code) or by_matter.setdefault(f.matter_code, empty())
        day = by_day.get(f.opened_on) or by_day.setdefault(f.opened_on, empty())
        for i, v in m.sparse(f):
            total[i] += v
            unit[i] += v
            matter[i] += v
            day[i] += v
    return sums
