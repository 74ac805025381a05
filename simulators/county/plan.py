"""The day's plan, drawn from the seed before anything runs: each village's residents and
arrivals (a service window's morning and afternoon peaks), its offline episodes, and the
chaos faults. The same seed gives the same plan, so two runs have the same mix.

Residents: the registry does not hold populations, so the county's 280,000 are spread over its
villages by a fixed draw per village (communities about twice a village), the same for every
seed. Volume: the source counts about 108,000 rated cases in two years at 76 windows, about 216
a working day for the county; ``load`` multiplies that."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field

from protocol.villages import Village
from simulators.county.clock import DAY_S

COUNTY_RESIDENTS = 280_000
COUNTY_CASES_PER_DAY = 108_000 / 2 / 250  # rated cases over two years of 250 working days
# relative arrival intensity over the day (simulated seconds since 08:30, weight): the morning
# peak, the lunch hour's lull, a second peak after 14:30
PROFILE: tuple[tuple[float, float, float], ...] = (
    (0.0, 1800.0, 0.8),  # 08:30-09:00
    (1800.0, 5400.0, 1.7),  # 09:00-10:00
    (5400.0, 9000.0, 1.9),  # 10:00-11:00
    (9000.0, 12600.0, 1.2),  # 11:00-12:00
    (12600.0, 18000.0, 0.35),  # 12:00-13:30
    (18000.0, 21600.0, 0.9),  # 13:30-14:30
    (21600.0, 27000.0, 1.5),  # 14:30-16:00
    (27000.0, 30600.0, 1.0),  # 16:00-17:00
    (30600.0, DAY_S, 0.5),  # 17:00-17:30
)
OFFLINE_SHARE = 0.12  # villages whose link drops once in a day
OFFLINE_MINUTES = (15.0, 50.0)


@dataclass(frozen=True)
class Episode:
    """A village link down from ``start`` for ``length`` simulated seconds."""

    start: float
    length: float


@dataclass(frozen=True)
class VillagePlan:
    unit_id: str
    name: str
    residents: int
    arrivals: tuple[float, ...]  # simulated seconds since 08:30, sorted
    offline: tuple[Episode, ...] = ()


@dataclass(frozen=True)
class Fault:
    """A chaos fault: at ``at`` (simulated seconds) ``kind`` hits ``target`` for ``down_s``
    wall seconds before it is undone (restart, heal)."""

    at: float
    kind: str  # "hub", "broker", "units" (a worker process of units), "link" (one village)
    target: str
    down_s: float


@dataclass(frozen=True)
class DayPlan:
    seed: int
    villages: tuple[VillagePlan, ...]
    faults: tuple[Fault, ...] = field(default=())

    def cases(self) -> int:
        return sum(len(v.arrivals) for v in self.villages)


def residents(villages: list[Village]) -> dict[str, int]:
    """The county's residents over ``villages`` (all of the registry, normally): a fixed
    log-normal draw per village, communities weighted 1.8."""
    weights = {}
    for v in villages:
        rng = random.Random(hashlib.sha256(f"residents/{v.unit_id}".encode()).digest())
        w = rng.lognormvariate(0.0, 0.45) * (1.8 if v.kind == "community" else 1.0)
        weights[v.unit_id] = w
    total = sum(weights.values())
    return {u: round(COUNTY_RESIDENTS * w / total) for u, w in weights.items()}


def arrival_time(rng: random.Random) -> float:
    """One arrival's time of day, drawn from PROFILE."""
    start, end, _ = rng.choices(PROFILE, [(e - s) * w for s, e, w in PROFILE])[0]
    return rng.uniform(start, end)


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:  # normal approximation; exact enough for a count of arrivals
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def plan_day(
    seed: int, villages: list[Village], all_villages: list[Village], *, load: float = 1.0,
    offline: bool = True,
) -> DayPlan:  # fmt: skip
    """Arrivals and offline episodes of ``villages``; their share of the county's residents is
    taken over ``all_villages`` (the registry), so a smaller run has a county's per-village
    volume."""
    people = residents(all_villages)
    total = sum(people.values())
    plans = []
    for v in villages:
        rng = random.Random(f"{seed}/{v.unit_id}/arrivals")
        mean = COUNTY_CASES_PER_DAY * load * people[v.unit_id] / total
        arrivals = tuple(sorted(arrival_time(rng) for _ in range(poisson(rng, mean))))
        episodes: tuple[Episode, ...] = ()
        if offline and rng.random() < OFFLINE_SHARE:
            length = rng.uniform(*OFFLINE_MINUTES) * 60
            episodes = (Episode(rng.uniform(1800, DAY_S - length - 1800), length),)
        plans.append(VillagePlan(v.unit_id, v.name, people[v.unit_id], arrivals, episodes))
    return DayPlan(seed, tuple(plans))
