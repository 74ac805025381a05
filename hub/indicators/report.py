"""The indicators as the API answers them: each group's tally turned into named figures and
rates (hub.indicators.measure defines them), with the names of villages, towns and matters.
Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from hub.indicators.measure import AT, Sums, Tally, empty
from protocol.catalog import Matter
from protocol.villages import VillageRegistry

DIGITS = 4  # rates as fractions: 0.9861 is 98.61 %


def share(part: int, whole: int) -> float | None:
    return round(part / whole, DIGITS) if whole else None


def reduction(before: int, after: int) -> float | None:
    return round(1 - after / before, DIGITS) if before else None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class OnTime(_Model):
    on_time: int  # decided on or before the due day
    late: int  # decided after it
    overdue: int  # not decided, past the due day (late already)
    rate: float | None  # on_time / (on_time + late + overdue)


class Ratings(_Model):
    rated: int
    good: int  # 非常满意 + 满意 (levels 5 and 4)
    bad: int  # 不满意 + 非常不满意 (levels 2 and 1)
    rate: float | None  # good / rated
    levels: dict[str, int]  # "1".."5" -> cases


class Deficiency(_Model):
    accepted: int  # 容缺受理
    open: int  # still owing: owed or lapsed
    lapsed: int  # past the supply day, within the grace period
    supplied: int
    withdrawn: int


class Reduction(_Model):
    """One measured reduction over the completed cases of catalogued matters."""

    cases: int  # the cases measured
    before: int  # Σ the matters' before-reform figure
    measured: int  # Σ what the cases actually took
    rate: float | None  # 1 - measured / before
    declared: int  # Σ the catalog's after-reform figure for the same cases (目标/承诺)
    declared_rate: float | None  # 1 - declared / before


class Figures(_Model):
    cases: int
    accepted: int
    not_accepted: int
    cancelled: int
    completed: int
    open: int
    done_at_window: int
    done_at_window_share: float | None  # of accepted cases
    instant: int
    instant_share: float | None  # of accepted cases
    on_time_promised: OnTime
    on_time_legal: OnTime
    ratings: Ratings
    deficiency: Deficiency
    materials: Reduction
    steps: Reduction
    time: Reduction  # working days taken against the legal limit


class TownFigures(Figures):
    town: str | None  # division code; None for units the registry does not know
    name: str


class VillageFigures(Figures):
    village: str  # unit id
    name: str
    town: str | None


class MatterFigures(Figures):
    matter: str | None  # None: cases closed before a matter was chosen
    name: str


class Series(_Model):
    """Per opening day, every day of the period (zeros included), for the charts."""

    days: list[date]
    cases: list[int]
    accepted: list[int]
    completed: list[int]
    done_at_window: list[int]
    rated: list[int]
    good: list[int]


class Period(_Model):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    days: int
    today: date  # open cases are judged on this day


class ScopeOut(_Model):
    area: str  # the asking account's area, as the pages name it
    town: str | None
    village: str | None
    matter: str | None
    label: str  # what the figures cover, in words


class IndicatorReport(_Model):
    period: Period
    scope: ScopeOut
    totals: Figures
    by_town: list[TownFigures]
    by_village: list[VillageFigures]
    by_matter: list[MatterFigures]
    series: Series
    # the catalog's declared figures (目标/承诺, hub.catalog.indicators) over the matters the
    # scope's windows handle: what the measured reductions are compared with
    declared: dict[str, int | float]


def figures(t: Tally) -> Figures:
    def n(name: str) -> int:
        return int(t[AT[name]])

    def on_time(limit: str) -> OnTime:
        ok, late, overdue = (n(f"{limit}_{k}") for k in ("on_time", "late", "overdue"))
        return OnTime(on_time=ok, late=late, overdue=overdue, rate=share(ok, ok + late + overdue))

    def cut(cases: str, before: str, measured: str, declared: str) -> Reduction:
        b, m, d = n(before), n(measured), n(declared)
        return Reduction(
            cases=n(cases), before=b, measured=m, rate=reduction(b, m),
            declared=d, declared_rate=reduction(b, d),
        )  # fmt: skip

    accepted = n("accepted")
    return Figures(
        cases=n("cases"), accepted=accepted, not_accepted=n("not_accepted"),
        cancelled=n("cancelled"), completed=n("completed"), open=n("open"),
        done_at_window=n("done_at_window"),
        done_at_window_share=share(n("done_at_window"), accepted),
        instant=n("instant"), instant_share=share(n("instant"), accepted),
        on_time_promised=on_time("promised"), on_time_legal=on_time("legal"),
        ratings=Ratings(
            rated=n("rated"), good=n("good"), bad=n("bad"), rate=share(n("good"), n("rated")),
            levels={str(k): n(f"level_{k}") for k in range(1, 6)},
        ),
        deficiency=Deficiency(
            accepted=n("deficiency_accepted"), open=n("deficiency_open"),
            lapsed=n("deficiency_lapsed"), supplied=n("deficiency_supplied"),
            withdrawn=n("deficiency_withdrawn"),
        ),
        materials=cut("material_cases", "materials_before", "materials_asked",
                      "materials_declared"),
        steps=cut("step_cases", "steps_before", "steps_taken", "steps_declared"),
        time=cut("time_cases", "legal_days", "days_taken", "promised_days"),
    )  # fmt: skip


def by_town(sums: Sums, registry: VillageRegistry, units: Sequence[str]) -> list[TownFigures]:
    """Every town the scope reaches (in the registry's order, with zeros), then cases from
    units the registry no longer knows under None."""
    known = {v.unit_id: v.division for v in registry.villages}
    tallies = sums.by(lambda unit: known.get(unit))
    towns = [d for d in registry.divisions if any(known.get(u) == d.code for u in units)]
    out = [
        TownFigures(town=d.code, name=d.name, **dict(figures(tallies.get(d.code, empty()))))
        for d in towns
    ]
    if None in tallies:
        out.append(TownFigures(town=None, name="（未登记）", **dict(figures(tallies[None]))))
    return out


def by_village(sums: Sums, registry: VillageRegistry, units: Sequence[str]) -> list[VillageFigures]:
    """Every village of the scope (with zeros: a window with no case shows), registry order;
    then units the registry does not know."""
    out = []
    for unit in units:
        v = registry.village(unit)
        t = sums.by_unit.get(unit, empty())
        out.append(VillageFigures(village=unit, name=v.name, town=v.division, **dict(figures(t))))
    for unit in sorted(set(sums.by_unit) - set(units)):
        t = sums.by_unit[unit]
        out.append(VillageFigures(village=unit, name=unit, town=None, **dict(figures(t))))
    return out


def by_matter(sums: Sums, matters: Mapping[str, Matter]) -> list[MatterFigures]:
    """The matters that had cases, most cases first."""
    rows = sorted(sums.by_matter.items(), key=lambda kv: (-kv[1][AT["cases"]], kv[0] or ""))
    out = []
    for code, t in rows:
        m = matters.get(code) if code else None
        name = m.name if m else (code or "（未选择事项）")
        out.append(MatterFigures(matter=code, name=name, **dict(figures(t))))
    return out


def series(sums: Sums, start: date, end: date) -> Series:
    days = [start + timedelta(i) for i in range((end - start).days + 1)]

    def line(name: str) -> list[int]:
        i = AT[name]
        return [int(sums.by_day[d][i]) if d in sums.by_day else 0 for d in days]

    return Series(
        days=days, cases=line("cases"), accepted=line("accepted"), completed=line("completed"),
        done_at_window=line("done_at_window"), rated=line("rated"), good=line("good"),
    )  # fmt: skip
