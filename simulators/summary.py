"""Compare what units committed with what the hub holds: the delivery verdict of a run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DeliverySummary:
    units: int
    committed_by_units: int
    in_hub: int
    # committed, not in the hub, and no longer in the unit's outbox: the unit forgot an event
    # the hub does not hold. Must be 0.
    lost: int
    duplicates: int
    # events the hub holds for these units that no unit committed (must be 0)
    unexpected: int
    # committed, not in the hub yet, still in the unit's outbox: it will be sent again when
    # the unit next runs. Not a loss; a run stopped before its outboxes drained has some.
    in_flight: int = 0

    @property
    def exact(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.unexpected == 0

    def json_line(self) -> str:
        return json.dumps(asdict(self), separators=(", ", ": "))


def compare(
    committed: Mapping[str, Mapping[str, int]],
    hub_rows: Iterable[tuple[str, str, int]],
    outboxes: Mapping[str, Iterable[str]] | None = None,
) -> DeliverySummary:
    """``committed``: unit -> {event id: seq}; ``hub_rows``: (unit, id, seq) for those units;
    ``outboxes``: unit -> ids still waiting for the hub's ack. Read the units before the hub:
    the hub commits before it acks, so an event that leaves an outbox in between is in the
    hub's rows.

    A duplicate is a second hub row for the same event, or for the same (unit, seq)."""
    ids: Counter[tuple[str, str]] = Counter()
    seqs: dict[tuple[str, int], set[str]] = {}
    for unit, event_id, seq in hub_rows:
        ids[(unit, str(event_id))] += 1
        seqs.setdefault((unit, seq), set()).add(str(event_id))
    committed_keys = {(u, i) for u, events in committed.items() for i in events}
    in_hub = sum(1 for key in committed_keys if key in ids)
    # a row stored twice, or two events under one (unit, seq); each extra row counted once
    duplicates = sum(n - 1 for n in ids.values()) + sum(len(e) - 1 for e in seqs.values())
    unexpected = sum(1 for key in ids if key not in committed_keys)
    waiting = {(u, str(i)) for u, pending in (outboxes or {}).items() for i in pending}
    in_flight = sum(1 for key in committed_keys if key not in ids and key in waiting)
    return DeliverySummary(
        units=len(committed),
        committed_by_units=len(committed_keys),
        in_hub=in_hub,
        lost=len(committed_keys) - in_hub - in_flight,
        duplicates=duplicates,
        unexpected=unexpected,
        in_flight=in_flight,
    )
