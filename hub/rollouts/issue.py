"""The driver's database steps for one rollout: issue a stage (allocate versions, sign,
record) and judge it against the failure threshold. The sweeps over every unit are in
sweeps.py, and one pass over every rollout in tick.py.

Each step is one transaction with the rollout row locked (on PostgreSQL; SQLite has one
writer at a time anyway), so two hub processes driving at once never issue a unit twice or
move a stage twice; the loser of a race finds nothing left to do.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from hub import audit
from hub.accounts.roles import SYSTEM
from hub.faults import cause, database_unavailable, describe_fault
from hub.models import Unit
from hub.rollouts.models import (
    FAILED,
    ConfigBlob,
    RolloutState,
    UnitState,
)
from hub.rollouts.render import body_hash, store_blobs
from hub.rollouts.store import ROLLOUTS, RU, UC, VERSIONS
from hub.signing.store import HubKeys
from hub.sql import chunks, insert_for
from protocol.bounds import INT64_MAX, printable
from protocol.canonical import canonical_json
from protocol.config import config_document
from protocol.config_schema import adapt_body, unit_schema
from protocol.keyring import KeyAnnouncement
from protocol.signing import sign_document

log = logging.getLogger("bianmin.hub.rollouts")
BLOBS = ConfigBlob.__table__  # type: ignore[attr-defined]
UNITS = Unit.__table__  # type: ignore[attr-defined]
ISSUE_CHUNK = 1000  # units signed and committed per transaction


@dataclass(frozen=True, slots=True)
class Publication:
    unit: str
    payload: bytes


def _bodies(conn: Connection, hashes: set[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(BLOBS.c.hash, BLOBS.c.body).where(BLOBS.c.hash.in_(list(hashes))))
    return {r.hash: r.body for r in rows}


def issue_stage(
    conn: Connection,
    key: Ed25519PrivateKey | HubKeys,
    *,
    rollout_id: int,
    stage: int,
    now: datetime,
    limit: int = ISSUE_CHUNK,
) -> list[Publication]:
    """Sign and record the next version for up to ``limit`` pending units of ``stage``. The
    driver publishes each chunk as soon as it is committed and comes back for the rest, so
    the first units apply while the hub is still signing for the last ones.

    A unit that cannot be issued (its version would overflow, its body is missing, signing
    or writing its row fails) is failed alone, with the reason, and the others go on.

    Two drivers issuing the same unit would both give it the same next version: the second
    insert breaks ConfigVersion's primary key and its transaction rolls back (on PostgreSQL
    the rollout row lock taken by ``advance`` already serialises them)."""
    pending = conn.execute(
        select(RU.c.unit, RU.c.body_hash)
        .where(
            RU.c.rollout_id == rollout_id,
            RU.c.stage == stage,
            RU.c.state == UnitState.PENDING.value,
        )
        .order_by(RU.c.unit)
        .limit(limit)
    ).all()
    if not pending:
        return []
    units = [r.unit for r in pending]
    conn.execute(
        insert_for(conn, UC).on_conflict_do_nothing(index_elements=["unit"]),
        [{"unit": u} for u in units],
    )
    issued = _highest_issued(conn, units)
    bodies = _bodies(conn, {r.body_hash for r in pending})
    issued_at = now.isoformat().replace("+00:00", "Z")
    # the key to sign with and the key list to announce, read in this transaction: a promote
    # committed a moment ago is what this chunk signs with (hub/signing/store.py)
    if isinstance(key, HubKeys):
        signer, ring = key.signing_key(conn)
        announced = ring.announcement()
    else:
        signer, announced = key, None
    schemas = _unit_schemas(conn, units)
    ready: list[_Issue] = []
    failed: dict[str, str] = {}
    # a chunk has a few distinct bodies and schemas: adapt and hash each pair once
    adapted: dict[tuple[str, int], tuple[dict[str, Any], str]] = {}
    for r in pending:
        try:
            pair = (r.body_hash, schemas.get(r.unit, 1))
            if pair not in adapted:
                body = _for_unit(bodies, r.body_hash, announced, pair[1])
                adapted[pair] = (body, body_hash(body))
            body, final_hash = adapted[pair]
            ready.append(_sign(signer, r.unit, issued[r.unit] + 1, issued_at, body, final_hash))
        except Exception as exc:  # this unit only: a bug or a bad row must not stop the rest
            log.exception("rollout %d: cannot issue a config for %s", rollout_id, r.unit)
            failed[r.unit] = describe_fault(exc)
    store_blobs(conn, {item.version["body_hash"]: item.body for item in ready})
    written = _write_isolated(conn, rollout_id, now, ready, failed)
    if failed:
        _fail_units(conn, rollout_id, now, failed)
    return [item.publication for item in written]


def _unit_schemas(conn: Connection, units: list[str]) -> dict[str, int]:
    """The config schema each unit reads, from its last heartbeat (1 when it never said)."""
    found: dict[str, int] = {}
    for part in chunks(units):
        rows = conn.execute(select(UNITS.c.id, UNITS.c.health).where(UNITS.c.id.in_(part)))
        found.update({r.id: unit_schema(r.health) for r in rows})
    return found


def _for_unit(
    bodies: dict[str, dict[str, Any]],
    rendered_hash: str,
    announced: KeyAnnouncement | None,
    schema: int,
) -> dict[str, Any]:
    """The rollout's body as this unit gets it: with the hub's current key list (a body
    copied from an earlier version may carry an older one), written for the config schema
    the unit reads (protocol/config_schema.py)."""
    if rendered_hash not in bodies:
        raise KeyError(f"no config body {rendered_hash}")
    body = {k: v for k, v in bodies[rendered_hash].items() if k != "keys"}
    if announced is not None:
        body["keys"] = announced.model_dump(mode="json")
    adapted, _omitted = adapt_body(body, schema)
    return adapted


@dataclass(frozen=True, slots=True)
class _Issue:
    version: dict[str, Any]  # the ConfigVersion row
    publication: Publication
    body: dict[str, Any]  # as signed: stored by its hash, which the version row names

    @property
    def unit(self) -> str:
        return self.publication.unit


class VersionOverflow(ValueError):
    """The next version would not fit in 64 bits."""


def _highest_issued(conn: Connection, units: list[str]) -> dict[str, int]:
    """The highest version the hub ever issued each unit. Only the hub's own numbers count:
    what a unit claims above them is an anomaly (hub/rollouts/anomalies.py), and a heartbeat
    claiming 2^63-1 must not make the next version overflow."""
    issued: dict[str, int] = {u: 0 for u in units}
    for part in chunks(units):
        rows = conn.execute(select(UC.c.unit, UC.c.desired_version).where(UC.c.unit.in_(part)))
        issued.update({r.unit: r.desired_version for r in rows})
        # the versions table too: a desired_version left behind must not reuse a number
        top = conn.execute(
            select(VERSIONS.c.unit, func.max(VERSIONS.c.version))
            .where(VERSIONS.c.unit.in_(part))
            .group_by(VERSIONS.c.unit)
        )
        for unit, version in top:
            issued[unit] = max(issued[unit], version)
    return issued


def _sign(
    key: Ed25519PrivateKey,
    unit: str,
    version: int,
    issued_at: str,
    body: dict[str, Any],
    final_hash: str,
) -> _Issue:
    if version > INT64_MAX:
        raise VersionOverflow(f"version {version} does not fit in 64 bits")
    document = config_document(unit=unit, version=version, issued_at=issued_at, body=body)
    signed = sign_document(document, key)
    row = {
        "unit": unit,
        "version": version,
        "body_hash": final_hash,
        "envelope": {k: v for k, v in signed.items() if k != "body"},
    }
    return _Issue(row, Publication(unit, canonical_json(signed)), body)


def _write(conn: Connection, rollout_id: int, now: datetime, items: list[_Issue]) -> None:
    versions = [{**i.version, "rollout_id": rollout_id, "created_at": now} for i in items]
    issued = [{"u": i.unit, "v": i.version["version"]} for i in items]
    conn.execute(VERSIONS.insert(), versions)
    conn.execute(
        update(UC)
        .where(UC.c.unit == bindparam("u"))
        .values(desired_version=bindparam("v"), desired_at=now, published_at=now),
        issued,
    )
    conn.execute(
        update(RU)
        .where(RU.c.rollout_id == rollout_id, RU.c.unit == bindparam("u"))
        .values(state=UnitState.DELIVERED.value, version=bindparam("v"), issued_at=now),
        issued,
    )


def _write_isolated(
    conn: Connection,
    rollout_id: int,
    now: datetime,
    items: list[_Issue],
    failed: dict[str, str],
) -> list[_Issue]:
    """Write the chunk at once; if a row breaks it, unit by unit, failing only that unit.
    Savepoints, so a failure leaves the rest of the transaction (and the lock) intact.

    A version already taken is no bad row but a second driver that issued it first (the
    next version is above every one recorded): that rolls back the whole step, and the
    retry finds the work done."""
    if not items:
        return []
    try:
        with conn.begin_nested():
            _write(conn, rollout_id, now, items)
        return items
    except SQLAlchemyError as exc:
        _raise_unless_bad_row(conn, exc)
        log.warning("rollout %d: writing %d units failed (%s); one by one", rollout_id,
                    len(items), describe_fault(exc))  # fmt: skip
    written = []
    for item in items:
        try:
            with conn.begin_nested():
                _write(conn, rollout_id, now, [item])
        except SQLAlchemyError as exc:
            _raise_unless_bad_row(conn, exc)
            failed[item.unit] = describe_fault(exc)
            continue
        written.append(item)
    return written


def _raise_unless_bad_row(conn: Connection, exc: SQLAlchemyError) -> None:
    dbapi = conn.dialect.loaded_dbapi
    if database_unavailable(exc, dbapi) or isinstance(cause(exc), dbapi.IntegrityError):
        raise exc


def _fail_units(conn: Connection, rollout_id: int, now: datetime, failed: dict[str, str]) -> None:
    """The hub could not issue these units: they count as failed (``rejected``, the reason
    starting with ``hub_error:``) towards the stage's threshold, and the audit log says why."""
    reasons = {u: printable(f"hub_error: {why}", 2000) for u, why in sorted(failed.items())}
    conn.execute(
        update(RU)
        .where(RU.c.rollout_id == rollout_id, RU.c.unit == bindparam("u"))
        .values(state=UnitState.REJECTED.value, finished_at=now, reason=bindparam("why")),
        [{"u": u, "why": why} for u, why in reasons.items()],
    )
    shown = dict(list(reasons.items())[:20])
    audit.record(
        conn,
        actor=SYSTEM,
        action="rollout.unit_error",
        target=f"rollout/{rollout_id}",
        detail={"units": len(reasons), "reasons": shown},
    )


def _stage_counts(conn: Connection, rollout_id: int, stage: int) -> Counter[str]:
    rows = conn.execute(
        select(RU.c.state, func.count())
        .where(RU.c.rollout_id == rollout_id, RU.c.stage == stage)
        .group_by(RU.c.state)
    )
    return Counter({state: n for state, n in rows})


def advance(
    conn: Connection, key: Ed25519PrivateKey | HubKeys, *, rollout_id: int, now: datetime
) -> list[Publication]:
    """One decision for a running rollout: pause it (the threshold is judged before each
    chunk, so a failing stage stops early), issue the next chunk of its stage, move to the
    next stage, or complete it."""
    r = conn.execute(
        select(ROLLOUTS).where(ROLLOUTS.c.id == rollout_id).with_for_update()
    ).one_or_none()
    if r is None or r.state != RolloutState.RUNNING.value:
        return []
    counts = _stage_counts(conn, rollout_id, r.stage)
    size = sum(counts.values())
    failed = sum(counts[s] for s in FAILED)
    # more than the threshold share failed; a 0 threshold pauses on the first failure
    allowed = math.floor(r.failure_threshold * size + 1e-9)
    if r.stage != r.accepted_stage and failed > allowed:
        reason = (
            f"stage {r.stage + 1} of {r.stages}: {failed} of {size} units failed "
            f"(rejected or timed out), over the threshold of {r.failure_threshold:.0%}"
        )
        _set(conn, rollout_id, now, state=RolloutState.PAUSED.value, paused_reason=reason)
        audit.record(
            conn,
            actor=SYSTEM,
            action="rollout.auto_pause",
            target=f"rollout/{rollout_id}",
            detail={"stage": r.stage, "failed": failed, "units": size},
        )
        return []
    if counts[UnitState.PENDING.value]:
        return issue_stage(
            conn, key, rollout_id=rollout_id, stage=r.stage, now=now, limit=ISSUE_CHUNK
        )
    if counts[UnitState.DELIVERED.value]:
        return []
    if r.stage + 1 < r.stages:
        _set(conn, rollout_id, now, stage=r.stage + 1)
        return issue_stage(
            conn, key, rollout_id=rollout_id, stage=r.stage + 1, now=now, limit=ISSUE_CHUNK
        )
    _set(conn, rollout_id, now, state=RolloutState.COMPLETED.value)
    audit.record(
        conn,
        actor=SYSTEM,
        action="rollout.complete",
        target=f"rollout/{rollout_id}",
        detail={"units": r.units},
    )
    return []


def _set(conn: Connection, rollout_id: int, now: datetime, **values: Any) -> None:
    conn.execute(
        update(ROLLOUTS).where(ROLLOUTS.c.id == rollout_id).values(updated_at=now, **values)
    )
