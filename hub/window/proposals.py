"""Proposals for the integrity blacklist: an applicant who let a 容缺 case lapse past the grace
period is proposed (by the hub's timers, once per case), and an operator confirms or rejects
(audited). Confirming lists the applicant; the blacklist then reaches units by itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic import Field as Check
from sqlalchemy import Connection, Index, func, select, update
from sqlmodel import Field, Session, SQLModel

from hub import audit
from hub.accounts.roles import Actor
from hub.cases.fold import Deficiency
from hub.cases.project import RECORDS
from hub.errors import Conflict, InvalidTransition, NotFound
from hub.models import _utc
from hub.sql import insert_for
from hub.window.blacklist import BlacklistEntry, BlacklistEntryCreate, add_to_blacklist
from protocol.ids import uuid7


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class BlacklistProposal(SQLModel, table=True):
    __tablename__ = "blacklist_proposal"
    __table_args__ = (Index("blacklist_proposal_state", "state", "proposed_at"),)

    id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(unique=True)  # one proposal per withdrawn case, ever
    applicant_ref: str = Field(max_length=32)  # keyed hash, never the ID number
    unit: str = Field(max_length=64)
    case_ref: str | None = Field(default=None, max_length=64)
    matter_code: str | None = Field(default=None, max_length=32)
    reason: str = Field(max_length=200)
    proposed_at: datetime = _utc(nullable=False)
    state: str = Field(max_length=16)
    decided_at: datetime | None = _utc(nullable=True)
    decided_by: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=200)


PROPOSALS = BlacklistProposal.__table__  # type: ignore[attr-defined]


class ProposalPublic(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    applicant_ref: str
    unit: str
    case_ref: str | None
    matter_code: str | None
    reason: str
    proposed_at: datetime
    state: str
    decided_at: datetime | None
    decided_by: str | None
    note: str | None
    case_deficiency: str | None  # the case now: a late 补齐 makes "supplied"


class Decision(BaseModel):
    note: str | None = Check(default=None, max_length=200)


def reason_for(case_ref: str | None) -> str:
    return f"容缺受理逾期未补齐材料，已撤回（受理编号 {case_ref or '—'}）"[:200]


def propose(conn: Connection, record: Any, now: datetime) -> bool:
    """Propose the applicant of this withdrawn case (a case_record row); False when the case
    was proposed before or names no applicant."""
    if not record.applicant_ref:
        return False
    stmt = insert_for(conn, PROPOSALS).values(
        id=uuid7(), case_id=record.case_id, applicant_ref=record.applicant_ref, unit=record.unit,
        case_ref=record.case_ref, matter_code=record.matter_code,
        reason=reason_for(record.case_ref), proposed_at=now, state=ProposalState.PROPOSED.value,
    )  # fmt: skip
    done = conn.execute(stmt.on_conflict_do_nothing(index_elements=[PROPOSALS.c.case_id]))
    return bool(done.rowcount)


def list_proposals(
    db: Session | Connection,
    *,
    state: ProposalState | None = None,
    units: tuple[str, ...] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[ProposalPublic]]:
    """Proposals, newest first; ``units``: only those of these units (an account's area)."""
    where = [] if state is None else [PROPOSALS.c.state == state.value]
    if units is not None:
        where.append(PROPOSALS.c.unit.in_(units))
    total = db.execute(select(func.count()).select_from(PROPOSALS).where(*where)).scalar_one()
    rows = db.execute(
        select(PROPOSALS, RECORDS.c.deficiency.label("case_deficiency"))
        .outerjoin(RECORDS, RECORDS.c.case_id == PROPOSALS.c.case_id)
        .where(*where)
        .order_by(PROPOSALS.c.proposed_at.desc(), PROPOSALS.c.id)
        .limit(limit)
        .offset(offset)
    )
    return int(total), [ProposalPublic.model_validate(dict(r._mapping)) for r in rows]


def get_proposal(db: Session | Connection, proposal_id: uuid.UUID) -> ProposalPublic:
    row = db.execute(
        select(PROPOSALS, RECORDS.c.deficiency.label("case_deficiency"))
        .outerjoin(RECORDS, RECORDS.c.case_id == PROPOSALS.c.case_id)
        .where(PROPOSALS.c.id == proposal_id)
    ).first()
    if row is None:
        raise NotFound(f"no blacklist proposal {proposal_id}")
    return ProposalPublic.model_validate(dict(row._mapping))


def decide(
    session: Session,
    *,
    proposal_id: uuid.UUID,
    confirm: bool,
    actor: Actor,
    note: str | None = None,
) -> ProposalPublic:
    """Confirm (list the applicant) or reject a proposal, with its audit entry; commits. A
    proposal is decided once. A case supplied after all (a late 补齐 arrived after the
    withdrawal) can no longer be confirmed."""
    found = get_proposal(session, proposal_id)
    if found.state != ProposalState.PROPOSED:
        raise InvalidTransition(f"proposal {proposal_id} was {found.state} already")
    if confirm and found.case_deficiency != Deficiency.WITHDRAWN:
        raise Conflict(
            f"case {found.case_id} is {found.case_deficiency or 'unknown'} now, not withdrawn: "
            "reject the proposal"
        )
    state = ProposalState.CONFIRMED if confirm else ProposalState.REJECTED
    changed = session.execute(
        update(PROPOSALS)
        .where(PROPOSALS.c.id == proposal_id, PROPOSALS.c.state == ProposalState.PROPOSED.value)
        .values(
            state=state.value, decided_at=datetime.now(UTC), decided_by=actor.name[:64], note=note
        )
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.rollback()
        raise InvalidTransition(f"proposal {proposal_id} was decided meanwhile")
    if confirm and session.get(BlacklistEntry, found.applicant_ref) is None:
        # listed already (for another reason, or another case): that entry stands as it is
        add_to_blacklist(
            session,
            entry=BlacklistEntryCreate(applicant_ref=found.applicant_ref, reason=found.reason),
            actor=actor,
        )
    audit.record(
        session,
        actor=actor,
        action=f"blacklist.{'confirm' if confirm else 'reject'}",
        target=f"applicant/{found.applicant_ref}",
        detail={"proposal": str(proposal_id), "case": str(found.case_id), "note": note},
    )
    session.commit()
    return get_proposal(session, proposal_id)
