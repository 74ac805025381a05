"""Reading and acting on follow-ups: the list with its filters (overdue ones included), one
follow-up with its steps, and a step appended once by its id with its audit entry.

Steps go in order: 核实 (verify) first; then 整改 (rectify) when something is to be put right,
or straight to 回访 (revisit) when the check found nothing to change; 办结 (close) with the
result after the revisit. 转办 (assign) hands it to another owner at any time before it closes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints
from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub.accounts.roles import Actor
from hub.errors import InvalidRequest, InvalidTransition, NotFound
from hub.followups.tables import (
    FOLLOWUPS,
    STATUS_LABELS,
    STEP_LABELS,
    STEPS,
    FollowupStatus,
    FollowupStep,
)
from protocol.bounds import TEXT_PATTERN
from protocol.ids import uuid7
from protocol.labels import RATING_LABELS
from protocol.villages import RegistryLookupError, VillageRegistry

St, Sp = FollowupStatus, FollowupStep
# the statuses each step may start from, and the status it leads to
ORDER: dict[FollowupStep, tuple[frozenset[FollowupStatus], FollowupStatus | None]] = {
    Sp.VERIFY: (frozenset({St.OPEN}), St.VERIFIED),
    Sp.RECTIFY: (frozenset({St.VERIFIED}), St.RECTIFIED),
    Sp.REVISIT: (frozenset({St.VERIFIED, St.RECTIFIED}), St.REVISITED),
    Sp.CLOSE: (frozenset({St.REVISITED}), St.CLOSED),
    Sp.ASSIGN: (frozenset({St.OPEN, St.VERIFIED, St.RECTIFIED, St.REVISITED}), None),
}
OWNER_SUFFIX = {"town": "人民政府", "subdistrict": "街道办事处", "high_tech_zone": "管委会"}
Note = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=TEXT_PATTERN)]
Owner = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=TEXT_PATTERN)]


class StepRequest(BaseModel):
    note: Note  # what was found, done, or heard; for close: the result
    id: uuid.UUID | None = None  # idempotency key: a retried request records the step once
    owner: Owner | None = None  # for assign: a division code, or an office's name


class StepPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    step: str
    step_label: str
    actor: str
    note: str
    owner: str | None


class FollowupPublic(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    unit: str
    village: str | None
    rating: int
    rating_label: str
    reason: str | None
    opened_at: datetime
    owner: str  # a division code (the town office by default) or an office's name
    owner_name: str
    due: date
    status: str
    status_label: str
    overdue: bool
    result: str | None
    closed_at: datetime | None


class FollowupDetail(FollowupPublic):
    steps: list[StepPublic]


class FollowupPage(BaseModel):
    total: int
    open: int
    overdue: int
    followups: list[FollowupPublic]


class Owners:
    """A follow-up's owner in words, from the village registry."""

    def __init__(self, registry: VillageRegistry) -> None:
        self.registry = registry

    def default(self, unit: str) -> str | None:
        try:
            return self.registry.village(unit).division
        except RegistryLookupError:
            return None

    def name(self, owner: str) -> str:
        try:
            d = self.registry.division(owner)
        except RegistryLookupError:
            return owner
        return d.name + OWNER_SUFFIX.get(d.kind, "")

    def village(self, unit: str) -> str | None:
        try:
            return self.registry.village(unit).name
        except RegistryLookupError:
            return None


def _public(row: Any, owners: Owners, today: date) -> dict[str, Any]:
    owner = row.owner or owners.default(row.unit) or "county"
    return {
        "id": row.id, "case_id": row.case_id, "unit": row.unit,
        "village": owners.village(row.unit), "rating": row.rating,
        "rating_label": RATING_LABELS.get(row.rating, str(row.rating)), "reason": row.reason,
        "opened_at": row.opened_at, "owner": owner, "owner_name": owners.name(owner),
        "due": row.due, "status": row.status,
        "status_label": STATUS_LABELS[FollowupStatus(row.status)],
        "overdue": row.status != St.CLOSED and row.due < today, "result": row.result,
        "closed_at": row.closed_at,
    }  # fmt: skip


def _where(
    owners: Owners,
    today: date,
    *,
    status: FollowupStatus | None,
    overdue: bool | None,
    owner: str | None,
    village: str | None,
    area_units: tuple[str, ...] | None = None,
) -> list[ColumnElement[bool]]:
    c = FOLLOWUPS.c
    where: list[ColumnElement[bool]] = []
    if area_units is not None:  # the asking account's area (hub.accounts.area)
        where.append(c.unit.in_(area_units))
    if status is not None:
        where.append(c.status == status.value)
    if overdue is not None:
        late = and_(c.status != St.CLOSED.value, c.due < today)
        where.append(late if overdue else ~late)
    if village is not None:
        where.append(c.unit == village)
    if owner is not None:
        try:
            units = [v.unit_id for v in owners.registry.in_division(owner)]
        except RegistryLookupError:
            units = []
        where.append(or_(c.owner == owner, and_(c.owner.is_(None), c.unit.in_(units))))
    return where


def list_followups(
    conn: Connection,
    owners: Owners,
    today: date,
    *,
    status: FollowupStatus | None = None,
    overdue: bool | None = None,
    owner: str | None = None,
    village: str | None = None,
    area_units: tuple[str, ...] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> FollowupPage:
    """Matching follow-ups, the ones due first; with how many of them are open and overdue."""
    where = _where(owners, today, status=status, overdue=overdue, owner=owner, village=village,
                   area_units=area_units)  # fmt: skip
    c = FOLLOWUPS.c
    counts = conn.execute(
        select(
            func.count(),
            func.count().filter(c.status != St.CLOSED.value),
            func.count().filter(and_(c.status != St.CLOSED.value, c.due < today)),
        ).where(*where)
    ).one()
    rows = conn.execute(
        select(FOLLOWUPS).where(*where).order_by(c.due, c.opened_at, c.id).limit(limit)
        .offset(offset)
    ).all()  # fmt: skip
    return FollowupPage(
        total=counts[0], open=counts[1], overdue=counts[2],
        followups=[FollowupPublic(**_public(r, owners, today)) for r in rows],
    )  # fmt: skip


def _row(conn: Connection, followup_id: uuid.UUID) -> Any:
    row = conn.execute(select(FOLLOWUPS).where(FOLLOWUPS.c.id == followup_id)).first()
    if row is None:
        raise NotFound(f"no follow-up {followup_id}")
    return row


def get_followup(
    conn: Connection, followup_id: uuid.UUID, owners: Owners, today: date
) -> FollowupDetail:
    row = _row(conn, followup_id)
    steps = [
        StepPublic(
            id=s.id,
            at=s.at,
            step=s.step,
            step_label=STEP_LABELS[FollowupStep(s.step)],
            actor=s.actor,
            note=s.note,
            owner=s.owner,
        )
        for s in conn.execute(
            select(STEPS).where(STEPS.c.followup_id == followup_id).order_by(STEPS.c.at, STEPS.c.id)
        )
    ]
    return FollowupDetail(**_public(row, owners, today), steps=steps)


def act(
    conn: Connection,
    followup_id: uuid.UUID,
    step: FollowupStep,
    request: StepRequest,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> bool:
    """Append ``step`` (in the caller's transaction) with its audit entry; False when a step
    with this id was recorded before (a retry). InvalidTransition when out of order."""
    now = now or datetime.now(UTC)
    step_id = request.id or uuid7()
    if conn.execute(select(STEPS.c.id).where(STEPS.c.id == step_id)).first() is not None:
        return False
    row = _row(conn, followup_id)
    allowed, to = ORDER[step]
    if FollowupStatus(row.status) not in allowed:
        raise InvalidTransition(
            f"follow-up {followup_id} is {row.status}; {step.value} needs it "
            + " or ".join(sorted(s.value for s in allowed))
        )
    if step is Sp.ASSIGN and request.owner is None:
        raise InvalidRequest("assign needs the new owner")
    try:
        with conn.begin_nested():
            conn.execute(
                STEPS.insert().values(
                    id=step_id, followup_id=followup_id, at=now, step=step.value,
                    actor=actor.name[:64], note=request.note,
                    owner=request.owner if step is Sp.ASSIGN else None,
                )
            )  # fmt: skip
    except IntegrityError:
        return False
    values: dict[str, Any] = {"updated_at": now}
    if to is not None:
        values["status"] = to.value
    if step is Sp.CLOSE:
        values |= {"result": request.note, "closed_at": now}
    if step is Sp.ASSIGN:
        values["owner"] = request.owner
    changed = conn.execute(
        update(FOLLOWUPS)
        .where(FOLLOWUPS.c.id == followup_id, FOLLOWUPS.c.status == row.status)
        .values(**values)
    ).rowcount
    if not changed:
        raise InvalidTransition(f"follow-up {followup_id} changed meanwhile; try again")
    audit.record(
        conn, actor=actor, action=f"followup.{step.value}", target=f"case/{row.case_id}",
        detail={"followup": str(followup_id), "step": str(step_id), "note": request.note,
                **({"owner": request.owner} if step is Sp.ASSIGN else {})},
    )  # fmt: skip
    return True
