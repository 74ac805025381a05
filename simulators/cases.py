"""Simulated window cases for the demo, the fleet simulator and load tests: each case is driven
through the unit's real, pure state machine (edge.workflow.machine) with random choices, so a
simulated case has exactly the states, data and refusals a real window's case has. Each unit
has a simulated clerk (and, when asked, an agent who files a share of its cases, 代办), with
roster-shaped ids derived from the unit's id."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from edge.eventlog import EventLog
from edge.workflow import machine
from edge.workflow.documents import slips_for
from edge.workflow.materials import LineStatus, checklist, registry_materials
from edge.workflow.model import (
    Accept,
    Case,
    CheckMaterials,
    Close,
    Command,
    Decline,
    FaceCheck,
    GiveConsent,
    Identify,
    OnDuty,
    Open,
    Printed,
    Rate,
    Route,
    SelectMatter,
    Sign,
    SignatureRef,
)
from protocol import identity
from protocol.calendar import WorkCalendar
from protocol.case import IdMethod
from protocol.catalog import Matter
from protocol.clerks import ClerkRole
from protocol.ids import uuid7
from protocol.messages import CaseTransition

DEMO_ID_KEY = b"bianmin-demo-id-hash-key-not-for-production"
CALENDAR = WorkCalendar.seed()  # simulated units have no configuration to take one from


def random_id_number(rng: random.Random) -> str:
    area = rng.choice(["341122", "341124", "341125", "341126"])
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
    first17 = f"{area}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + identity.check_digit(first17)


def simulated_reference(number: str, key: bytes) -> str:
    """A simulated resident's reference: the same shape as the hub's (32 hex digits, stable per
    number and key) but a plain keyed hash, because the fleet simulator makes thousands of
    residents a minute who are never identified again, and the hub's blinded reference
    (protocol.idref) costs milliseconds each. Windows, the demo and the tests that look a
    resident up use identity.reference."""
    return hmac.new(key, number.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def simulated_clerk(unit: str, role: ClerkRole = ClerkRole.CLERK) -> OnDuty:
    """The unit's simulated clerk (or agent): a stable roster-shaped id from the unit's id."""
    digest = hashlib.sha256(f"{unit}/{role.value}".encode()).hexdigest()[:8]
    name = "模拟代办员" if role is ClerkRole.AGENT else "模拟工作人员"
    return OnDuty(f"ck-{digest}", name, role)


@functools.cache
def seed_matters() -> tuple[Matter, ...]:
    """The seed catalog's delegated matters (parsed once per process)."""
    from hub.catalog.loader import load_catalog

    return load_catalog().delegated()


def simulate_case(
    matter: Matter, rng: random.Random, *, unit: str = "sim", id_key: bytes = DEMO_ID_KEY,
    start: datetime | None = None, clerk: OnDuty | None = None,
) -> list[tuple[datetime, CaseTransition]]:  # fmt: skip
    """One whole case through the real state machine: (timestamp, transition) pairs. An
    agent as ``clerk`` files it on the resident's behalf (代办, with a signed authorisation)."""
    now = start or datetime.now(UTC)
    out: list[tuple[datetime, CaseTransition]] = []
    case: Case | None = None
    matters = {matter.code: matter}
    clerk = clerk or simulated_clerk(unit)

    def do(cmd: Command, seconds: float) -> None:
        nonlocal case, now
        now += timedelta(seconds=seconds)
        ctx = machine.Context(unit, now, matters, CALENDAR, frozenset(), 5, "seed", clerk)
        done = machine.step(case, cmd, ctx)
        case = done.case
        out.append((now, done.transition))

    number = random_id_number(rng)
    ref, masked = simulated_reference(number, id_key), identity.mask(number)
    face = rng.random() < 0.6
    do(Open(uuid7()), 0)
    if clerk.role is ClerkRole.AGENT:
        auth = SignatureRef(f"{rng.getrandbits(256):064x}", rng.randint(1, 4))
        do(GiveConsent(face, auth), 30)
    else:
        do(GiveConsent(face), 8)
    if face:
        check = FaceCheck(
            distance=round(rng.uniform(0.25, 0.45), 3), threshold=0.5, reference="template",
            liveness="passed",
        )  # fmt: skip
        do(Identify(IdMethod.FACE, ref, masked, check), 12)
    else:
        do(Identify(IdMethod.ID_CARD, ref, masked), 25)
    do(SelectMatter(matter.code), 15)
    asked = registry_materials(matter)
    found = frozenset(n for n in asked if rng.random() < 0.9) if rng.random() < 0.97 else None
    lines = checklist(matter, found)
    needed = [ln for ln in lines if ln.status is LineStatus.NEEDED]
    owe = [ln.name for ln in needed if ln.deferrable and rng.random() < 0.3]
    lacking = [ln.name for ln in needed if not ln.deferrable and rng.random() < 0.03]
    received = frozenset(ln.name for ln in needed if ln.name not in owe and ln.name not in lacking)
    do(CheckMaterials(received, frozenset(), found), 40)
    if lacking:
        do(Decline(), 10)
        do(Printed(("notice",)), 15)
    else:
        do(Accept(defer=bool(owe)), 10)
        do(Sign(f"{rng.getrandbits(256):064x}", rng.randint(2, 6)), 20)
        do(Route(), 5)
        assert case is not None
        do(Printed(slips_for(case, tuple(s.value for s in matter.slips))), 15)
    level = rng.choices([5, 4, 3, 2, 1, None], [0.92, 0.05, 0.015, 0.004, 0.001, 0.01])[0]
    do(Rate(level, "等候时间太长" if level in (1, 2) else None), 6)
    do(Close(), 1)
    return out


@dataclass
class CaseSimulator:
    """Emits one transition at a time; each call advances the current case or opens a new one.
    ``matters`` picks matter codes of the seed catalog (all delegated ones when empty)."""

    matters: Sequence[str] = ()
    rng: random.Random = field(default_factory=random.Random)
    id_key: bytes = DEMO_ID_KEY
    unit: str = "sim"
    agent_share: float = 0.0  # the share of cases an agent files (代办)
    _queue: deque[CaseTransition] = field(default_factory=deque)

    def __post_init__(self) -> None:
        wanted = set(self.matters)
        pool = [m for m in seed_matters() if not wanted or m.code in wanted]
        self._pool = pool or list(seed_matters())

    def next_transition(self) -> CaseTransition:
        if not self._queue:
            matter = self.rng.choice(self._pool)
            role = ClerkRole.AGENT if self.rng.random() < self.agent_share else ClerkRole.CLERK
            case = simulate_case(
                matter, self.rng, unit=self.unit, id_key=self.id_key,
                clerk=simulated_clerk(self.unit, role),
            )  # fmt: skip
            self._queue.extend(t for _, t in case)
        return self._queue.popleft()


async def generate_events(
    event_log: EventLog,
    events_per_second: float,
    *,
    simulator: CaseSimulator | None = None,
    stop: asyncio.Event | None = None,
    until_seq: int | None = None,
) -> None:
    """Commit transitions at a Poisson rate until ``stop`` is set, or until the log's sequence
    reaches ``until_seq`` (so a restarted unit finishes the same total); the link wakes on
    each commit by itself."""
    sim = simulator or CaseSimulator()
    stop = stop or asyncio.Event()
    while not stop.is_set():
        if until_seq is not None and event_log.last_seq >= until_seq:
            return
        delay = sim.rng.expovariate(events_per_second) if events_per_second > 0 else 3600.0
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return
        except TimeoutError:
            pass
        await event_log.append(sim.next_transition())
