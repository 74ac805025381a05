"""One resident's visit to a village window, driven through the unit's real, pure state machine
(edge.workflow.machine), as simulators.cases does for the demo, with what a county day adds:
face verification that sometimes fails (the clerk falls back to the ID card), card reads that
fail (the number is typed), 容缺 acceptance with the materials owed, and ratings shaped like the
source's.

The face verdict is scripted, not computed: pushing camera frames through the face pipeline
for 76 units would need far more CPU than this machine has, so a visit draws the distance a
real check would report (a match under the threshold, a failure above it) and the state
machine judges it exactly as it judges a real check."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.workflow import errors as workflow_errors
from edge.workflow import machine
from edge.workflow.documents import slips_for
from edge.workflow.materials import LineStatus, checklist, registry_materials
from edge.workflow.model import (
    Accept,
    Case,
    CheckMaterials,
    ChipPhoto,
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
)
from protocol import identity
from protocol.case import SUPPLIED_STATE, CaseState, IdMethod
from protocol.catalog import Matter
from protocol.messages import CaseTransition
from simulators.cases import CALENDAR, DEMO_ID_KEY, random_id_number, simulated_reference

FACE_CONSENT = 0.6  # residents who agree to face verification
FACE_FAILS = 0.05  # of those, checks over the threshold (the clerk falls back to the card)
CARD_READ_FAILS = 0.04  # card reads that fail; the clerk types the number
OWE_SHARE = 0.3  # a deferrable material missing: 容缺 acceptance
LACK_SHARE = 0.03  # a critical material missing: not accepted (一次性告知)
UNRATED = 0.01  # the rating device timed out
BAD_REASONS = ("等候时间太长", "办理流程不清楚", "材料要求反复", "工作人员解释不够耐心")
THRESHOLD = 0.5


@dataclass(frozen=True)
class Visit:
    """A visit's transitions as (simulated seconds after arrival, transition), and what the
    report counts of it."""

    steps: tuple[tuple[float, CaseTransition], ...]
    case_id: uuid.UUID
    case_ref: str | None
    matter_code: str
    owed: tuple[str, ...]  # 容缺: materials to supply later
    face_failed: bool
    card_failed: bool
    rating: int | None
    forwarded: bool

    @property
    def length(self) -> float:
        return self.steps[-1][0] if self.steps else 0.0


def case_uuid(rng: random.Random, at: datetime) -> uuid.UUID:
    """A UUIDv7 for ``at`` with its random bits from ``rng``: the same seed, the same ids, so a
    unit restarted mid-day regenerates the very cases it had begun."""
    ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = rng.getrandbits(74)
    value = (
        (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    )
    return uuid.UUID(int=value)


def rating(rng: random.Random, bad_share: float) -> tuple[int | None, str | None]:
    """5 levels like the source: nearly all 非常满意/满意, ``bad_share`` 不满意/非常不满意 with a
    reason, and a few unrated."""
    r = rng.random()
    if r < UNRATED:
        return None, None
    if r < UNRATED + bad_share:
        return rng.choice((1, 2)), rng.choice(BAD_REASONS)
    return rng.choices((5, 4, 3), (0.94, 0.058, 0.002))[0], None


def visit(
    matter: Matter, rng: random.Random, *, unit: str, clerk: OnDuty, start: datetime,
    bad_share: float, id_key: bytes = DEMO_ID_KEY,
) -> Visit:  # fmt: skip
    now = start
    elapsed = 0.0
    steps: list[tuple[float, CaseTransition]] = []
    case: Case | None = None
    matters = {matter.code: matter}

    def ctx() -> machine.Context:
        return machine.Context(unit, now, matters, CALENDAR, frozenset(), 5, "seed", clerk)

    def do(cmd: Command, seconds: float) -> None:
        nonlocal case, now, elapsed
        elapsed += seconds
        now += timedelta(seconds=seconds)
        done = machine.step(case, cmd, ctx())
        case = done.case
        steps.append((elapsed, done.transition))

    number = random_id_number(rng)
    ref, masked = simulated_reference(number, id_key), identity.mask(number)
    case_id = case_uuid(rng, start)
    face = rng.random() < FACE_CONSENT
    do(Open(case_id), 0)
    do(GiveConsent(face), 8)
    face_failed = card_failed = False
    identified = False
    if face:
        face_failed = rng.random() < FACE_FAILS
        distance = rng.uniform(0.52, 0.7) if face_failed else rng.uniform(0.25, 0.45)
        check = FaceCheck(distance=round(distance, 3), threshold=THRESHOLD,
                          reference="template", liveness="passed")  # fmt: skip
        try:
            do(Identify(IdMethod.FACE, ref, masked, check), 12)
            identified = True
        except workflow_errors.WorkflowError:
            # the machine refuses a failed check, as at a real window: no event, the card next
            elapsed += 10
    if not identified:
        card_failed = rng.random() < CARD_READ_FAILS
        chip: ChipPhoto | None = None if card_failed else "not_compared"
        do(Identify(IdMethod.ID_CARD, ref, masked, chip_photo=chip), 40 if card_failed else 20)
    do(SelectMatter(matter.code), 15)
    asked = registry_materials(matter)
    found = frozenset(n for n in asked if rng.random() < 0.9) if rng.random() < 0.97 else None
    lines = checklist(matter, found)
    needed = [ln for ln in lines if ln.status is LineStatus.NEEDED]
    owe = [ln.name for ln in needed if ln.deferrable and rng.random() < OWE_SHARE]
    lacking = [ln.name for ln in needed if not ln.deferrable and rng.random() < LACK_SHARE]
    received = frozenset(ln.name for ln in needed if ln.name not in owe and ln.name not in lacking)
    do(CheckMaterials(received, frozenset(), found), rng.uniform(30, 120))
    forwarded = False
    if lacking:
        do(Decline(), 10)
        do(Printed(("notice",)), 15)
        owe = []
    else:
        do(Accept(defer=bool(owe)), 10)
        do(Sign(f"{rng.getrandbits(256):064x}", rng.randint(2, 6)), 20)
        do(Route(), 5)
        assert case is not None
        forwarded = case.state is CaseState.FORWARDED
        do(Printed(slips_for(case, tuple(s.value for s in matter.slips))), 15)
    level, reason = rating(rng, bad_share)
    do(Rate(level, reason), 6)
    do(Close(), 1)
    assert case is not None
    return Visit(
        steps=tuple(steps), case_id=case_id, case_ref=case.case_ref, matter_code=matter.code,
        owed=tuple(owe), face_failed=face_failed, card_failed=card_failed, rating=level,
        forwarded=forwarded,
    )  # fmt: skip


def supplied(v: Visit, clerk: OnDuty) -> CaseTransition:
    """The owed materials arriving later (by e-mail or in person): the same `supplied`
    transition the window's 补齐 step commits (edge.window.supply)."""
    data: dict[str, str | list[str] | None] = {"materials": list(v.owed), "clerk": clerk.id}
    if v.case_ref:
        data["case_ref"] = v.case_ref
    return CaseTransition(
        case_id=v.case_id, state=SUPPLIED_STATE, matter_code=v.matter_code, data=data
    )
