"""Erase one resident on the hub, in the caller's transaction, and tell the units that served
them (PIPL art. 47; what is kept and why: docs/security.md, "Erasing one resident").

Per table:

- case records and their events: kept, for the county's statistics (counts, dates, matters,
  ratings are the indicators it must report), but they lose the reference and the mask: the
  ``identified`` events' ``applicant`` and ``id_masked`` are removed from the stored bodies,
  so `hub cases rebuild` does not bring them back, and the records are cleared;
- registry records (信息一库 stand-in): deleted;
- blacklist proposals already decided: deleted. A resident on the integrity blacklist, or with
  a proposal awaiting a decision, is refused: the list is kept by law for its period, and is
  left through its own procedure (`hub blacklist remove`), audited, first;
- rating follow-ups of their cases: what people wrote (the result, the steps' notes, which may
  hold a phone number or an address from a 回访) is deleted; status and dates stay;
- feedback left on their cases' status pages: the text and the reply are deleted, the topic
  stays;
- audit entries naming the reference (blacklist changes): the target keeps the reference's
  SHA-256 only.

The units told are those that sent events of the resident's cases: only they can hold a
template (enrolment happens during a case) or a signature of them, and telling the other units
would send them a reference they never had. Each gets a signed ``erase_resident`` command with
the reference and its case ids (both secret arguments: the command table and the audit log
keep neither), in as many commands as the case ids need. Erasing the same resident again also
tells the units an earlier erasure's receipt lists as having sent late events
(hub.residents.late), with the reference only: the hub no longer knows which cases were theirs.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, delete, func, select, update

from hub import audit
from hub.accounts.roles import Actor
from hub.audit import AUDIT
from hub.cases.project import RECORDS
from hub.commands import outbox
from hub.errors import Conflict
from hub.feedback.tables import FEEDBACK
from hub.followups.tables import FOLLOWUPS, STEPS
from hub.models import Event
from hub.residents.receipts import ref_sha256
from hub.residents.tables import RECEIPTS
from hub.signing.store import HubKeys
from hub.window.applicants import check_ref
from hub.window.blacklist import BlacklistEntry
from hub.window.idgen import state_row
from hub.window.proposals import PROPOSALS, ProposalState
from hub.window.registry import RegistryRecord
from protocol.ids import uuid7

EVENTS: Any = Event.__table__  # type: ignore[attr-defined]
BLACKLIST: Any = BlacklistEntry.__table__  # type: ignore[attr-defined]
REGISTRY: Any = RegistryRecord.__table__  # type: ignore[attr-defined]
PERSONAL_KEYS = ("applicant", "id_masked")  # what a case event says of who the applicant is
CASES_PER_COMMAND = 26  # 26 ids and commas stay under a text argument's 1000 characters
COMMAND_TTL = timedelta(days=14)
ERASED_NOTE = "（已按居民申请删除）"


class ResidentListed(Conflict):
    code = "resident_listed"


def _scrub_events(conn: Connection, case_ids: list[uuid.UUID]) -> tuple[int, dict[str, set[str]]]:
    """Drop the applicant's reference and mask from their cases' stored events; the units
    that sent events of each case."""
    e = EVENTS.c
    changed = 0
    units: dict[str, set[str]] = {}
    for row in conn.execute(select(e.id, e.unit, e.case_id, e.body).where(e.case_id.in_(case_ids))):
        units.setdefault(row.unit, set()).add(str(row.case_id))
        body = dict(row.body)
        data = dict(body.get("data") or {})
        if not any(k in data for k in PERSONAL_KEYS):
            continue
        body["data"] = {k: v for k, v in data.items() if k not in PERSONAL_KEYS}
        conn.execute(update(EVENTS).where(e.id == row.id).values(body=body))
        changed += 1
    return changed, units


def _sent_late(conn: Connection, digest: str) -> set[str]:
    """Units that sent events of the resident after an earlier erasure (hub.residents.late)."""
    r = RECEIPTS.c
    found = conn.execute(select(r.late_events).where(r.ref_sha256 == digest)).scalars()
    return {unit for late in found for unit in (late or {})}


def _followups(conn: Connection, case_ids: list[uuid.UUID]) -> int:
    f = FOLLOWUPS.c
    ids = list(conn.execute(select(f.id).where(f.case_id.in_(case_ids))).scalars())
    if not ids:
        return 0
    conn.execute(update(FOLLOWUPS).where(f.id.in_(ids)).values(result=None))
    conn.execute(update(STEPS).where(STEPS.c.followup_id.in_(ids)).values(note=ERASED_NOTE))
    return len(ids)


def _deleted(conn: Connection, table: Any, where: Any) -> int:
    return int(conn.execute(delete(table).where(where)).rowcount)


def _feedback(conn: Connection, case_ids: list[uuid.UUID]) -> int:
    """Notes left on their cases' status pages: the text and the reply go, the topic stays."""
    where = FEEDBACK.c.case_id.in_(case_ids)
    return int(conn.execute(update(FEEDBACK).where(where).values(text="", reply=None)).rowcount)


def erase(
    conn: Connection,
    key: Ed25519PrivateKey | HubKeys,
    *,
    ref: str,
    reason: str,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """Erase ``ref`` on the hub, send the erase command to the units that served them, and
    record the receipt and the audit entry. Raises ResidentListed, InvalidRequest."""
    check_ref(ref)
    if conn.execute(
        select(BLACKLIST.c.applicant_ref).where(BLACKLIST.c.applicant_ref == ref)
    ).first():
        raise ResidentListed(
            "the resident is on the integrity blacklist, which the law keeps for its period: "
            "remove them through its own procedure first"
        )
    p = PROPOSALS.c
    pending = select(p.id).where(p.applicant_ref == ref, p.state == ProposalState.PROPOSED.value)
    if conn.execute(pending).first():
        raise ResidentListed("a blacklist proposal for the resident awaits a decision")
    digest = ref_sha256(ref)
    generation = int(state_row(conn)["generation"])
    r = RECORDS.c
    cases = [row.case_id for row in conn.execute(select(r.case_id).where(r.applicant_ref == ref))]
    events, units = _scrub_events(conn, cases) if cases else (0, {})
    records = update(RECORDS).where(r.applicant_ref == ref)
    counts = {
        "case_records": conn.execute(records.values(applicant_ref=None, id_masked=None)).rowcount,
        "events": events,
        "registry_records": _deleted(conn, REGISTRY, REGISTRY.c.applicant_ref == ref),
        "blacklist_proposals": _deleted(conn, PROPOSALS, p.applicant_ref == ref),
        "followups": _followups(conn, cases) if cases else 0,
        "feedback": _feedback(conn, cases) if cases else 0,
        "audit_entries": conn.execute(
            update(AUDIT).where(AUDIT.c.target == f"applicant/{ref}")
            .values(target=f"applicant/sha256:{digest[:32]}")
        ).rowcount,
    }  # fmt: skip
    for unit in _sent_late(conn, digest):  # an earlier erasure's late comers hold the template
        units.setdefault(unit, set())
    told: dict[str, list[str]] = {}
    for unit in sorted(units):
        ids = sorted(units[unit])
        for i in range(0, max(len(ids), 1), CASES_PER_COMMAND):
            args: dict[str, Any] = {"applicant": ref}
            if ids:
                args["cases"] = ",".join(ids[i : i + CASES_PER_COMMAND])
            if generation > 1:  # a unit not re-keyed yet waits for its rekey_references
                args["generation"] = generation
            try:
                sent = outbox.issue(
                    conn, key, unit=unit, name="erase_resident", args=args, actor=actor,
                    ttl=COMMAND_TTL, now=now,
                )  # fmt: skip
            except outbox.UnitRevoked:  # a revoked unit is wiped, not told (docs/security.md)
                break
            told.setdefault(unit, []).append(str(sent["id"]))
    receipt_id = uuid7()
    conn.execute(
        RECEIPTS.insert().values(
            id=receipt_id, ref_sha256=digest, ref_generation=generation, erased_at=now,
            erased_by=actor.name[:64],
            reason=reason, hub_counts=counts, units_told=told, units_confirmed={},
        )
    )  # fmt: skip
    audit.record(
        conn, actor=actor, action="resident.erase", target=f"erasure/{receipt_id}",
        detail={"ref_sha256": digest, "reason": reason, "hub": counts, "units": sorted(told)},
    )  # fmt: skip
    return receipt(conn, receipt_id) or {}


def receipt(conn: Connection, receipt_id: uuid.UUID) -> dict[str, Any] | None:
    row = conn.execute(select(RECEIPTS).where(RECEIPTS.c.id == receipt_id)).first()
    if row is None:
        return None
    m = dict(row._mapping)
    m["id"], m["erased_at"] = str(m["id"]), m["erased_at"].isoformat()
    return m


def receipts_for(conn: Connection, ref: str) -> int:
    """How many erasures of ``ref`` (a reference of the current generation) were recorded
    since the last rotation: an older receipt holds the hash of an older generation's
    reference, which no rotation can carry (it is found by its id)."""
    generation = int(state_row(conn)["generation"])
    found = conn.execute(
        select(func.count())
        .select_from(RECEIPTS)
        .where(RECEIPTS.c.ref_sha256 == ref_sha256(ref), RECEIPTS.c.ref_generation == generation)
    )
    return int(found.scalar_one())
