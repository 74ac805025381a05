"""References in units' events carried to the hub's current generation before they are stored
(protocol.idchain): a unit not yet re-keyed after a rotation, or whose events waited in its
outbox through one, sends an older generation's reference, tagged ``ref_generation`` (absent:
1, as every unit before rotations existed). The stored body holds the current generation's
reference and no tag, so no stale reference is ever stored and the case fold reads one kind.

A tag the hub cannot honour (not a whole number, newer than the hub's generation) drops the
reference from the event rather than store something that names nobody or the wrong resident.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence

from hub.ingest.sql import EventRow
from hub.window.idgen import REFERENCE_STATES, Generations
from protocol import idchain
from protocol.case import REF_GENERATION

log = logging.getLogger("bianmin.hub.ingest")
TAG = REF_GENERATION


def to_current(rows: Sequence[EventRow], gens: Generations) -> list[EventRow]:
    """``rows`` with every event's reference at ``gens.current`` and no tag (the late scrub of
    hub.residents.late has run: it matches receipts in the generation each was taken in)."""
    out = list(rows)
    for i, row in enumerate(rows):
        if row.state not in REFERENCE_STATES:
            continue
        if gens.current == idchain.FIRST and TAG not in row.body_json:
            continue  # never rotated and not tagged: nothing to carry
        body = json.loads(row.body_json)
        data = body.get("data")
        if not isinstance(data, dict):
            continue
        start = data.pop(TAG, idchain.FIRST)
        ref = data.get("applicant")
        if idchain.is_reference(ref):
            if valid_generation(start, gens):
                data["applicant"] = gens.to_current(ref, start)
            else:
                log.warning("event %s from %s: reference generation %r refused; reference "
                            "dropped", row.id, row.unit, start)  # fmt: skip
                del data["applicant"]
        body_json = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        out[i] = dataclasses.replace(row, body_json=body_json)
    return out


def valid_generation(start: object, gens: Generations) -> bool:
    return type(start) is int and idchain.FIRST <= start <= gens.current


def start_of(data: dict[str, object], gens: Generations) -> int:
    """The generation an event's references are of (its tag; 1 when absent or unusable)."""
    start = data.get(TAG, idchain.FIRST)
    return start if valid_generation(start, gens) else idchain.FIRST  # type: ignore[return-value]
