"""Late events of an erased resident: scrubbed on arrival, in the ingest's transaction.

A unit that was offline through an erasure (hub.residents.erase) still sends the resident's
events when it comes back: an ``identified`` event naming their reference and mask, a
``reference_resolved`` event naming the reference. Stored as they came, they would bring the
reference back into the event table, and from there into the case record (live, or by
`hub cases rebuild`). So the ingest writer hands every batch here before it inserts: an event
naming a reference whose SHA-256 is on an erasure receipt, of a case opened before that
erasure, is stored without the reference (any data value naming it) and without the mask, and
kept (the county's statistics count it); the receipt records how many late events each unit
sent. A case opened after the erasure is the resident coming back for a new matter: its
reference is theirs to keep, like any resident's.

The hot path pays for a substring scan: only a body holding ``applicant`` or a string of a
reference's form (32 hex digits) is parsed, and the receipts are read only when such a body
exists.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from hub.ingest.references import start_of
from hub.ingest.sql import EventRow
from hub.models import Event
from hub.residents.receipts import ref_sha256
from hub.residents.tables import RECEIPTS
from hub.sql import chunks
from hub.window.idgen import Generations
from protocol.case import CaseState

EVENTS: Any = Event.__table__  # type: ignore[attr-defined]
MASK_KEY = "id_masked"
APPLICANT_KEY = "applicant"
APPLICANT_JSON = '"applicant"'
REF_LENGTH = 32  # what the case fold reads of a reference (hub.cases.fold)
_LOOKS_LIKE_REF = re.compile(r'"[0-9a-f]{32}"')
_REF = re.compile(r"[0-9a-f]{32}")


@dataclasses.dataclass(frozen=True, slots=True)
class Scrubbed:
    """What one batch's scrub did: the receipt each scrubbed event is late for."""

    rows: list[EventRow]
    late: dict[uuid.UUID, uuid.UUID]  # event id -> receipt id


def _refs(key: str, value: object) -> set[str]:
    """The references a data entry may name: any value (or list item) of a reference's form,
    and the first 32 characters of ``applicant`` (all the fold reads of it)."""
    items = value if isinstance(value, list) else [value]
    found = {v for v in items if isinstance(v, str) and _REF.fullmatch(v)}
    if key == APPLICANT_KEY and isinstance(value, str) and _REF.fullmatch(value[:REF_LENGTH]):
        found.add(value[:REF_LENGTH])
    return found


def _data(row: EventRow) -> dict[str, Any] | None:
    body_json = row.body_json
    if row.case_id is None or (
        _LOOKS_LIKE_REF.search(body_json) is None and APPLICANT_JSON not in body_json
    ):
        return None
    try:
        body = json.loads(row.body_json)
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None


def _erasures(
    conn: Connection, digests: Iterable[str]
) -> dict[str, list[tuple[datetime, Any, int]]]:
    """Per reference hash, its erasures (time, receipt id, the reference generation the hash
    was taken in), oldest first."""
    r = RECEIPTS.c
    found: dict[str, list[tuple[datetime, Any, int]]] = defaultdict(list)
    for part in chunks(sorted(set(digests))):
        rows = conn.execute(
            select(r.ref_sha256, r.erased_at, r.id, r.ref_generation).where(
                r.ref_sha256.in_(list(part))
            )
        )
        for row in rows:
            found[row.ref_sha256].append((row.erased_at, row.id, row.ref_generation))
    for erasures in found.values():
        erasures.sort(key=lambda e: e[0])
    return dict(found)


def _openings(
    conn: Connection, rows: Sequence[EventRow], case_ids: set[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each case was opened (the unit's clock): from this batch or the stored events."""
    opened: dict[uuid.UUID, datetime] = {}
    e = EVENTS.c
    for part in chunks(sorted(case_ids)):
        stored = conn.execute(
            select(e.case_id, func.min(e.ts))
            .where(e.case_id.in_(list(part)), e.state == CaseState.OPENED.value)
            .group_by(e.case_id)
        )
        for case_id, ts in stored:
            opened[case_id] = ts
    for row in rows:
        if row.case_id not in case_ids or row.state != CaseState.OPENED.value:
            continue
        if row.case_id not in opened or row.ts < opened[row.case_id]:
            opened[row.case_id] = row.ts
    return opened


def _without(data: Mapping[str, Any], refs: set[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != MASK_KEY and not (_refs(k, v) & refs)}


def _hashes(ref: str, start: int, gens: Generations) -> list[tuple[str, int]]:
    """The hash of ``ref`` (of generation ``start``) in each generation from ``start`` to the
    hub's: a receipt holds the hash of the generation it was taken in (hub.window.rekey), and
    an event that waited in an outbox through a rotation is older than the receipt."""
    found = []
    for g in range(start, gens.current + 1):
        try:
            found.append((ref_sha256(gens.carry(ref, start, g)), g))
        except KeyError:  # a chain key this process does not have: the generations it has
            break
    return found


def scrub(conn: Connection, rows: Sequence[EventRow], gens: Generations | None = None) -> Scrubbed:
    """``rows`` with every late event of an erased resident scrubbed (see the module)."""
    gens = gens or Generations()
    # row -> data, {ref: [(hash, generation)]}
    named: dict[int, tuple[dict[str, Any], dict[str, list[tuple[str, int]]]]] = {}
    for i, row in enumerate(rows):
        data = _data(row)
        if data is None:
            continue
        refs: set[str] = set()
        for key, value in data.items():
            refs |= _refs(key, value)
        if refs:
            start = start_of(data, gens)
            named[i] = (data, {ref: _hashes(ref, start, gens) for ref in refs})
    if not named:
        return Scrubbed(list(rows), {})
    erasures = _erasures(
        conn, (h for _, hashes in named.values() for hs in hashes.values() for h, _ in hs)
    )
    if not erasures:
        return Scrubbed(list(rows), {})
    cases = {rows[i].case_id for i, (_, hashes) in named.items()
             if any(h in erasures for hs in hashes.values() for h, _ in hs)}  # fmt: skip
    opened = _openings(conn, rows, {c for c in cases if c is not None})
    out = list(rows)
    late: dict[uuid.UUID, uuid.UUID] = {}
    for i, (data, hashes) in named.items():
        row = rows[i]
        assert row.case_id is not None
        since = opened.get(row.case_id, row.ts)
        # per reference, the first erasure after the case opened: the one this event is late for
        erased: dict[str, uuid.UUID] = {}
        for ref, variants in sorted(hashes.items()):
            for digest, generation in variants:
                for at, receipt, taken_in in erasures.get(digest, []):
                    if since <= at and taken_in == generation:
                        erased.setdefault(ref, receipt)
        if not erased:
            continue
        body = json.loads(row.body_json)
        body["data"] = _without(data, set(erased))
        out[i] = dataclasses.replace(row, body_json=json.dumps(body, ensure_ascii=False))
        late[row.id] = min(erased.values())
    return Scrubbed(out, late)


def record(
    conn: Connection, late: Mapping[uuid.UUID, uuid.UUID], units: Mapping[uuid.UUID, str]
) -> None:
    """Count the scrubbed events that were new (``units``: event id -> unit) on their
    receipts: ``late_events`` {unit: count}."""
    per_receipt: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for event_id, receipt_id in late.items():
        if event_id in units:
            per_receipt[receipt_id][units[event_id]] += 1
    r = RECEIPTS.c
    for receipt_id, counts in sorted(per_receipt.items()):
        row = conn.execute(select(r.late_events).where(r.id == receipt_id).with_for_update()).one()
        merged = dict(row.late_events or {})
        for unit, n in counts.items():
            merged[unit] = int(merged.get(unit, 0)) + n
        conn.execute(update(RECEIPTS).where(r.id == receipt_id).values(late_events=merged))
