"""Simulated window cases: realistic sequences of case transitions committed to a unit's
outbox, for the demo, the fleet simulator and load tests. No hardware, same events."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from edge.outbox import Outbox
from protocol import identity
from protocol.ids import uuid7
from protocol.messages import CaseTransition, DataValue

DEMO_ID_KEY = b"bianmin-demo-id-hash-key-not-for-production"
# Matter codes used until a unit has its catalog slice; real runs pass the village's matters.
FALLBACK_MATTERS = ("V-SB-001", "V-MZ-003", "V-JY-002", "V-WJ-004", "V-CL-006")


def random_id_number(rng: random.Random) -> str:
    area = rng.choice(["341122", "341124", "341125", "341126"])
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
    first17 = f"{area}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + identity.check_digit(first17)


@dataclass
class _Case:
    case_id: UUID
    matter: str
    steps: list[tuple[str, dict[str, DataValue]]]
    position: int = 0


@dataclass
class CaseSimulator:
    """Emits one transition at a time; each call advances the current case or opens a new one."""

    matters: Sequence[str] = FALLBACK_MATTERS
    rng: random.Random = field(default_factory=random.Random)
    id_key: bytes = DEMO_ID_KEY
    _current: _Case | None = None

    def next_transition(self) -> CaseTransition:
        if self._current is None or self._current.position >= len(self._current.steps):
            self._current = self._new_case()
        case = self._current
        state, data = case.steps[case.position]
        case.position += 1
        return CaseTransition(case_id=case.case_id, state=state, matter_code=case.matter, data=data)

    def _new_case(self) -> _Case:
        rng = self.rng
        number = random_id_number(rng)
        method = rng.choices(["face", "id_card", "clerk_check"], [0.6, 0.35, 0.05])[0]
        identified: dict[str, DataValue] = {
            "method": method,
            "applicant": identity.reference(number, self.id_key),
            "id_masked": identity.mask(number),
        }
        if method == "face":
            identified["distance"] = round(rng.uniform(0.25, 0.45), 3)
        deficiency = rng.random() < 0.12
        instant = rng.random() < 0.5
        rating = rng.choices([5, 4, 3, 2, 1], [0.93, 0.05, 0.015, 0.004, 0.001])[0]
        steps: list[tuple[str, dict[str, DataValue]]] = [
            ("opened", {"window": 1}),
            ("consented", {"face": method == "face"}),
            ("identified", identified),
            ("matter_selected", {}),
            ("materials_checked", {"required": rng.randint(1, 4), "waived": rng.randint(0, 3)}),
        ]
        if deficiency:
            steps.append(("deficiency_accepted", {"owed": 1, "due_days": 10}))
        else:
            steps.append(("accepted", {}))
        steps.append(("signed", {"signature_sha256": f"{rng.getrandbits(256):064x}"}))
        steps.append(("approved", {"at": "window"}) if instant else ("forwarded", {"to": "town"}))
        steps.append(("printed", {"slips": 2 if deficiency else 1}))
        steps.append(("rated", {"level": rating}))
        steps.append(("closed", {"outcome": "done" if instant else "forwarded"}))
        return _Case(uuid7(), rng.choice(list(self.matters)), steps)


async def generate_events(
    outbox: Outbox,
    events_per_second: float,
    *,
    notify: Callable[[], None],
    simulator: CaseSimulator | None = None,
    stop: asyncio.Event | None = None,
    until_seq: int | None = None,
) -> None:
    """Commit transitions at a Poisson rate until ``stop`` is set, or until the outbox's
    sequence reaches ``until_seq`` (so a restarted unit finishes the same total); tell the
    link after each."""
    sim = simulator or CaseSimulator()
    stop = stop or asyncio.Event()
    while not stop.is_set():
        if until_seq is not None and outbox.last_seq >= until_seq:
            return
        delay = sim.rng.expovariate(events_per_second) if events_per_second > 0 else 3600.0
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return
        except TimeoutError:
            pass
        outbox.append(sim.next_transition())
        notify()
