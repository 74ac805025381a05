"""`bianmin hub id-key rotate`: a new generation of ID references (protocol.idchain), every
stored reference carried to it, with no number and no unit involved.

Order (docs/security-keys.md, "Rotating the reference key"):

1. the new chain key file is written (0600, fsynced) and the database row records the rotation
   under way (``rotating_to``); from then on the reference routes answer 503 and the ingest
   holds units' events unacknowledged (they wait in the units' outboxes);
2. one transaction per table re-keys its references and, in the same transaction, records the
   table as done with its count: a crash between tables leaves a rotation that the next run
   finishes where it stopped, never a table re-keyed twice;
3. the last transaction makes the generation current, marks the blacklist changed (units get
   it at the new generation by a blacklist rollout) and writes the audit entry.

Erasure receipts are not re-keyed: they keep a hash of a reference, which cannot be carried
(that is what makes it a receipt and not a reference); each records the generation it was
taken in (docs/security.md, "Erasing one resident").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from hub import audit
from hub.accounts.roles import Actor
from hub.artifacts.store import Artifact
from hub.audit import AUDIT
from hub.cases.project import RECORDS
from hub.commands import outbox
from hub.commands.tables import COMMANDS, OPEN_STATES
from hub.models import Event, Unit
from hub.signing.store import HubKeys
from hub.window.blacklist import BlacklistEntry
from hub.window.blacklist_sync import mark_changed
from hub.window.idgen import REFERENCE_STATES, ROW_ID, STATE, chain_key, state_row
from hub.window.proposals import PROPOSALS
from hub.window.registry import RegistryRecord
from protocol import idchain
from protocol.canonical import canonical_json
from protocol.command import command_document, public_args
from protocol.config import ArtifactKind
from protocol.signing import sign_document

EVENTS: Any = Event.__table__  # type: ignore[attr-defined]
UNITS: Any = Unit.__table__  # type: ignore[attr-defined]
BLACKLIST: Any = BlacklistEntry.__table__  # type: ignore[attr-defined]
REGISTRY: Any = RegistryRecord.__table__  # type: ignore[attr-defined]
ARTIFACTS: Any = Artifact.__table__  # type: ignore[attr-defined]
AUDIT_PREFIX = "applicant/"
REKEY_COMMAND = "rekey_references"
PAIRS_PER_COMMAND = 15  # "old:new" is 65 characters: 15 and their commas stay under 1000
COMMAND_TTL = timedelta(days=14)
ACTION = "identity.rotate"

Step = Callable[[str], str]


def _column(conn: Connection, table: Any, column: str, step: Step) -> int:
    """Re-key every distinct reference in ``table.column`` (one executemany)."""
    col = table.c[column]
    olds = [r for (r,) in conn.execute(select(col).where(col.is_not(None)).distinct())]
    pairs = [{"old_ref": o, "new_ref": step(o)} for o in olds if idchain.is_reference(o)]
    if pairs:
        stmt = (
            update(table).where(col == bindparam("old_ref")).values({column: bindparam("new_ref")})
        )
        conn.execute(stmt, pairs)
    return len(pairs)


def _audit(conn: Connection, step: Step) -> int:
    """Audit entries naming an applicant (blacklist changes, 补齐 lookups): the target follows,
    so an entry still names the same resident. Erased residents' entries hold a hash: kept."""
    rows = conn.execute(
        select(AUDIT.c.id, AUDIT.c.target).where(AUDIT.c.target.like(AUDIT_PREFIX + "%"))
    ).all()
    changed = [
        {"row_id": r.id, "new_target": AUDIT_PREFIX + step(ref)}
        for r in rows
        if idchain.is_reference(ref := r.target.removeprefix(AUDIT_PREFIX))
    ]
    if changed:
        stmt = update(AUDIT).where(AUDIT.c.id == bindparam("row_id"))
        conn.execute(stmt.values(target=bindparam("new_target")), changed)
    return len(changed)


def _event_bodies(conn: Connection, step: Step, held: dict[str, dict[str, str]]) -> int:
    """The stored bodies the case records are folded from, so `hub cases rebuild` gives the
    re-keyed records; collects which unit held which reference (``held``)."""
    e = EVENTS.c
    rows = conn.execute(
        select(e.id, e.unit, e.body).where(e.state.in_(REFERENCE_STATES)).order_by(e.id)
    ).all()
    changed = []
    for row in rows:
        body = dict(row.body)
        data = dict(body.get("data") or {})
        old = data.get("applicant")
        if not idchain.is_reference(old):
            continue
        new = held.setdefault(row.unit, {}).setdefault(old, step(old))
        body["data"] = data | {"applicant": new}
        changed.append({"row_id": row.id, "new_body": body})
    for i in range(0, len(changed), 500):
        stmt = update(EVENTS).where(e.id == bindparam("row_id")).values(body=bindparam("new_body"))
        conn.execute(stmt, changed[i : i + 500])
    return len(changed)


def _resign(conn: Connection, keys: HubKeys, row: Any, args: dict[str, Any]) -> None:
    doc = json.loads(row.document)
    document = command_document(
        id=row.id, unit=row.unit, name=row.name, args=args,
        issued_at=datetime.fromisoformat(doc["issued_at"]),
        expires_at=datetime.fromisoformat(doc["expires_at"]), issued_by=doc["issued_by"],
    )  # fmt: skip
    signed = canonical_json(sign_document(document, keys.signing_key(conn)[0]))
    shown = public_args(row.name, args)
    conn.execute(
        update(COMMANDS).where(COMMANDS.c.id == row.id).values(document=signed, args=shown)
    )


def _open_commands(
    conn: Connection, keys: HubKeys, step: Step, generation: int, held: dict[str, dict[str, str]]
) -> int:
    """Open commands that carry references in their (secret) arguments, signed again with the
    new generation's: an erasure still waiting for its unit (whose resident's events were
    scrubbed, so the unit is told the pair here too), a re-keying from an earlier rotation."""
    c = COMMANDS.c
    rows = conn.execute(
        select(c.id, c.unit, c.name, c.document).where(
            c.state.in_(OPEN_STATES), c.document.is_not(None),
            c.name.in_(("erase_resident", REKEY_COMMAND)),
        )
    ).all()  # fmt: skip
    for row in rows:
        args = dict(json.loads(row.document)["args"])
        if row.name == "erase_resident" and idchain.is_reference(old := args.get("applicant")):
            new = held.setdefault(row.unit, {}).setdefault(old, step(old))
            args |= {"applicant": new, "generation": generation}
        elif row.name == REKEY_COMMAND:
            pairs = idchain.parse_pairs(args.get("pairs"))
            args |= {"pairs": idchain.format_pairs([(o, step(n)) for o, n in pairs])}
            args["generation"] = generation
        else:
            continue
        _resign(conn, keys, row, args)
    return len(rows)


def _tell_units(
    conn: Connection, keys: HubKeys, actor: Actor, generation: int, held: dict[str, dict[str, str]]
) -> int:
    """Every unit a signed `rekey_references`: the pairs of the references it may hold (those
    of the cases it identified), none for the others, which learn the generation."""
    units = sorted({u for (u,) in conn.execute(select(UNITS.c.id))} | set(held))
    sent = 0
    now = datetime.now(UTC)
    for unit in units:
        pairs = sorted(held.get(unit, {}).items())
        chunks = [pairs[i : i + PAIRS_PER_COMMAND] for i in range(0, len(pairs), PAIRS_PER_COMMAND)]
        for chunk in chunks or [[]]:
            args = {"generation": generation, "pairs": idchain.format_pairs(chunk)}
            try:
                outbox.issue(
                    conn, keys, unit=unit, name=REKEY_COMMAND, args=args, actor=actor,
                    ttl=COMMAND_TTL, now=now,
                )  # fmt: skip
            except outbox.UnitRevoked:  # a revoked unit is wiped, not told
                break
            sent += 1
    return sent


def _cases_step(conn: Connection, keys: HubKeys, actor: Actor, generation: int, step: Step) -> int:
    held: dict[str, dict[str, str]] = {}
    records = _column(conn, RECORDS, "applicant_ref", step)
    _event_bodies(conn, step, held)
    _open_commands(conn, keys, step, generation, held)
    _tell_units(conn, keys, actor, generation, held)
    return records


def _old_blacklists(conn: Connection, artifact_dir: Path | None) -> int:
    """The blacklist artifacts signed so far hold the old generation's references: gone, with
    any copy this machine's hub cached on disk; the rotation's own delivery makes the new."""
    a = ARTIFACTS.c
    kind = ArtifactKind.INTEGRITY_BLACKLIST.value
    shas = list(conn.execute(select(a.sha256).where(a.kind == kind)).scalars())
    conn.execute(delete(ARTIFACTS).where(a.kind == kind))
    for sha in shas if artifact_dir is not None else []:
        (artifact_dir / sha).unlink(missing_ok=True)
    return len(shas)


def _tables(
    keys: HubKeys, actor: Actor, generation: int, artifact_dir: Path | None
) -> list[tuple[str, Any]]:
    """Each table's re-keying, in order; each runs in its own transaction."""
    return [
        ("blacklist", lambda conn, s: _column(conn, BLACKLIST, "applicant_ref", s)),
        ("blacklist_proposals", lambda conn, s: _column(conn, PROPOSALS, "applicant_ref", s)),
        ("registry_records", lambda conn, s: _column(conn, REGISTRY, "applicant_ref", s)),
        ("audit_entries", _audit),
        # the records and the events they are folded from in one transaction, so a projection
        # never meets one re-keyed without the other; the units are told which of theirs
        # changed (their pairs come from the events) in the same transaction
        ("cases", lambda conn, s: _cases_step(conn, keys, actor, generation, s)),
        ("blacklist_artifacts", lambda conn, s: _old_blacklists(conn, artifact_dir)),
    ]


def _begin(conn: Connection, key_file: Path, *, strict: bool) -> tuple[int, dict[str, int]]:
    """The rotation under way, or a new one: its generation and the tables done."""
    state = state_row(conn, lock=True)
    if state["rotating_to"] is not None:
        return int(state["rotating_to"]), dict(state["done"] or {})
    target = int(state["generation"]) + 1
    # written and fsynced before the row says so: a rotation on record always has its key
    chain_key(key_file, target, strict=strict, create=True)
    values = {"rotating_to": target, "done": {}, "started_at": datetime.now(UTC)}
    if conn.execute(select(STATE.c.id).where(STATE.c.id == ROW_ID)).first() is None:
        conn.execute(insert(STATE).values(id=ROW_ID, generation=idchain.FIRST, **values))
    else:
        conn.execute(update(STATE).where(STATE.c.id == ROW_ID).values(**values))
    return target, {}


def rotate(
    engine: Engine,
    *,
    key_file: Path,
    keys: HubKeys,
    actor: Actor,
    strict: bool = True,
    artifact_dir: Path | None = None,
    stop_after: str | None = None,
) -> dict[str, Any]:
    """Rotate to the next generation, or finish the rotation under way. ``artifact_dir``: the
    hub's artifact cache on this machine (old blacklists are removed from it). ``stop_after``
    (tests: an interrupted run) returns after that table's transaction, unfinished."""
    with engine.begin() as conn:
        target, done = _begin(conn, key_file, strict=strict)
    key = chain_key(key_file, target, strict=strict)

    def step(ref: str) -> str:
        return idchain.step(ref, key)

    for name, rekey in _tables(keys, actor, target, artifact_dir):
        if name in done:
            continue
        with engine.begin() as conn:
            if dict(state_row(conn, lock=True)["done"] or {}).get(name) is not None:
                continue  # another run did it meanwhile
            done[name] = rekey(conn, step)
            conn.execute(update(STATE).where(STATE.c.id == ROW_ID).values(done=dict(done)))
        if name == stop_after:
            return {"generation": target - 1, "rotating_to": target, "done": done}
    with engine.begin() as conn:
        state = state_row(conn, lock=True)
        if state["rotating_to"] == target:
            now = datetime.now(UTC)
            conn.execute(
                update(STATE).where(STATE.c.id == ROW_ID).values(
                    generation=target, rotating_to=None, done={}, finished_at=now
                )
            )  # fmt: skip
            mark_changed(conn, now)  # the blacklist reaches units at the new generation
            audit.record(
                conn, actor=actor, action=ACTION, target=f"id-key/generation/{target}",
                detail={"generation": target, "rekeyed": done},
            )  # fmt: skip
    return {"generation": target, "rotating_to": None, "done": done}
