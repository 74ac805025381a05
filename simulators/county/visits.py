"""One resident's visit to a village window, driven through the unit's real, pure state machine
(edge.workflow.machine), as simulators.cases does for the demo, with what a county day adds:
real face checks (a resident's first face visit is identified by the ID card with its chip
photo compared to the live face, and enrolled; a later visit is verified 1:1 against that
template; a check that fails sends the clerk to the card), card reads that fail (the number is
typed), 容缺 acceptance with the materials owed, and ratings shaped like the source's.

Every face verdict comes from the unit's real pipeline (simulators.county.faces): the visit
draws who stands at the window and how the camera takes them, never the distance."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from simulators.county.faces import IDENTITIES, FaceJudge, Verdict, draw_shot

FACE_CONSENT = 0.6  # residents who agree to face verification
RETURNING = 0.5  # of those, residents enrolled here earlier today (when there are any)
WRONG_TEMPLATE = 0.05  # of a returning resident's checks: the number entered was another's
DEGRADED = 0.1  # camera frames taken poorly: backlight, dark, blurred, far away
CARD_READ_FAILS = 0.04  # card reads that fail; the clerk types the number
OWE_SHARE = 0.3  # a deferrable material missing: 容缺 acceptance
LACK_SHARE = 0.03  # a critical material missing: not accepted (一次性告知)
UNRATED = 0.01  # the rating device timed out
BAD_REASONS = ("等候时间太长", "办理流程不清楚", "材料要求反复", "工作人员解释不够耐心")


@dataclass(frozen=True)
class FaceResident:
    number: str
    identity: str  # whose photos show their face (simulators.county.faces.IDENTITIES)


@dataclass
class FaceDesk:
    """One window's face residents while its day is built: the people not seen here yet (in
    the seed's order) and those enrolled today. The templates themselves are the judge's."""

    unit: str
    judge: FaceJudge
    unseen: list[str]
    enrolled: list[FaceResident] = field(default_factory=list)

    @classmethod
    def new(cls, unit: str, judge: FaceJudge, seed: int) -> FaceDesk:
        order = list(IDENTITIES)
        random.Random(f"{seed}/{unit}/faces").shuffle(order)
        return cls(unit, judge, order)

    def visitor(self, rng: random.Random, number: str) -> tuple[FaceResident, bool] | None:
        """Who consents at the window: an enrolled resident back (True), or a new one with
        ``number`` (False); None when this window has met everyone the photos show."""
        if self.enrolled and (not self.unseen or rng.random() < RETURNING):
            return rng.choice(self.enrolled), True
        if self.unseen:
            return FaceResident(number, self.unseen.pop(0)), False
        return None


@dataclass(frozen=True)
class FaceRecord:
    """What the face path of one visit did, for the report."""

    returning: bool
    checks: tuple[Verdict, ...]
    enrolled: bool = False
    wrong_template: bool = False
    degraded: str | None = None
    claimed: FaceResident | None = None  # the other resident whose number was entered


@dataclass(frozen=True)
class Visit:
    """A visit's transitions as (simulated seconds after arrival, transition), and what the
    report counts of it."""

    steps: tuple[tuple[float, CaseTransition], ...]
    case_id: uuid.UUID
    case_ref: str | None
    matter_code: str
    owed: tuple[str, ...]  # 容缺: materials to supply later
    face_failed: bool  # a 1:1 check did not pass: the clerk went to the card
    card_failed: bool
    rating: int | None
    forwarded: bool
    face: FaceRecord | None = None
    face_consent: bool = False

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
    bad_share: float, id_key: bytes = DEMO_ID_KEY, desk: FaceDesk | None = None,
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
    case_id = case_uuid(rng, start)
    face = rng.random() < FACE_CONSENT
    do(Open(case_id), 0)
    do(GiveConsent(face), 8)
    face_failed = card_failed = False
    record: FaceRecord | None = None
    chip: ChipPhoto | None = "not_compared"
    card_check: FaceCheck | None = None
    met = desk.visitor(rng, number) if face and desk is not None else None
    if met is not None:
        assert desk is not None
        who, returning = met
        number = who.number
        if returning:
            record = _verify(desk, rng, who, case_id, id_key)
            if record.checks[0].match:
                v, claimed = record.checks[0], record.claimed or who
                check = FaceCheck(distance=v.distance or 0.0, threshold=v.threshold or 0.0,
                                  reference="template", liveness="passed")  # fmt: skip
                ref = simulated_reference(claimed.number, id_key)
                do(Identify(IdMethod.FACE, ref, identity.mask(claimed.number), check), 12)
            else:
                face_failed = True
                elapsed += 10  # the machine refuses a failed check: no event, the card next
        else:
            card_failed = rng.random() < CARD_READ_FAILS
            if not card_failed:
                record, chip, card_check = _first_visit(desk, rng, who, case_id, id_key)
            else:
                record = FaceRecord(False, ())
    ref, masked = simulated_reference(number, id_key), identity.mask(number)
    if case is not None and case.state is CaseState.CONSENTED:
        if met is None or (record is not None and record.returning):
            card_failed = rng.random() < CARD_READ_FAILS
        if card_failed:
            chip, card_check = None, None
        do(Identify(IdMethod.ID_CARD, ref, masked, card_check, chip), 40 if card_failed else 20)
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
        forwarded=forwarded, face=record, face_consent=face,
    )  # fmt: skip


def _verify(
    desk: FaceDesk, rng: random.Random, who: FaceResident, case_id: uuid.UUID, id_key: bytes
) -> FaceRecord:
    """A returning resident's 1:1 check against the template of the number entered: now and
    then another enrolled resident's number (a family member's card, a typo)."""
    others = [r for r in desk.enrolled if r is not who]
    wrong = bool(others) and rng.random() < WRONG_TEMPLATE
    claimed = rng.choice(others) if wrong else who
    shot = draw_shot(rng, who.identity, degraded_share=DEGRADED)
    ref = simulated_reference(claimed.number, id_key)
    v = desk.judge.verify(desk.unit, f"{case_id}/verify", ref, shot)
    return FaceRecord(True, (v,), wrong_template=wrong, degraded=shot.degraded,
                      claimed=claimed if wrong else None)  # fmt: skip


def _first_visit(
    desk: FaceDesk, rng: random.Random, who: FaceResident, case_id: uuid.UUID, id_key: bytes
) -> tuple[FaceRecord, ChipPhoto, FaceCheck | None]:
    """A first face visit: the card read, its chip photo compared with the live face (a match
    identifies; no match leaves the clerk's check by eye), then, after a match, the live face
    enrolled as the resident's template."""
    shot = draw_shot(rng, who.identity, degraded_share=DEGRADED)
    v = desk.judge.chip(desk.unit, f"{case_id}/chip", shot)
    if v.problem is not None or v.distance is None or v.threshold is None:
        return FaceRecord(False, (v,), degraded=shot.degraded), "not_compared", None
    check = FaceCheck(distance=v.distance, threshold=v.threshold, reference="id_card_photo",
                      liveness="passed")  # fmt: skip
    if not v.match:
        return FaceRecord(False, (v,), degraded=shot.degraded), "no_match", check
    ref = simulated_reference(who.number, id_key)
    e = desk.judge.enrol(desk.unit, f"{case_id}/enrol", ref, draw_shot(rng, who.identity))
    if e.match:
        desk.enrolled.append(who)
    return FaceRecord(False, (v, e), enrolled=e.match, degraded=shot.degraded), "match", check


def supplied(v: Visit, clerk: OnDuty) -> CaseTransition:
    """The owed materials arriving later (by e-mail or in person): the same `supplied`
    transition the window's 补齐 step commits (edge.window.supply)."""
    data: dict[str, str | list[str] | None] = {"materials": list(v.owed), "clerk": clerk.id}
    if v.case_ref:
        data["case_ref"] = v.case_ref
    return CaseTransition(
        case_id=v.case_id, state=SUPPLIED_STATE, matter_code=v.matter_code, data=data
    )
