"""Which configuration body fields each schema introduced, and how the hub writes a body for a
unit that reads an older schema (docs/config.md#upgrade-order-hub-first-units-later).

A unit validates its body strictly (``extra="forbid"`` everywhere): a field it does not know is
a refusal, never silently skipped, because some fields are about security (the signing-key
list, the blacklist). So compatibility is the hub's job: every unit reports in its heartbeat
the newest body schema it reads (``Health.config_schema``; a unit that predates the field
reads schema 1), and the hub leaves out of that unit's body every field introduced after it.
What it left out is recorded, and the rollout view says so per unit. A field whose absence
would weaken a unit's security is marked ``required``: the hub then refuses to issue that unit
anything instead of leaving it out (the unit is failed with the reason; upgrade its agent).

A new optional field of ``ConfigBody`` (or of a model inside it, such as the hardware profile)
bumps ``protocol.config.CONFIG_SCHEMA_VERSION`` and gets one line in ``INTRODUCED``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from protocol.config import CONFIG_SCHEMA_VERSION

# a unit whose heartbeat names no schema: every agent before key rotation reads schema 1
DEFAULT_UNIT_SCHEMA = 1


@dataclass(frozen=True)
class Introduced:
    path: tuple[str, ...]  # where the field sits in the body: ("keys",), ("profile", "idcard")
    schema: int  # the first schema that has it
    why: str  # what a unit without it misses, for the rollout view
    required: bool = False  # True: never issue a body with it to a unit that cannot read it


INTRODUCED: tuple[Introduced, ...] = (
    # Omitted, not required: a unit that cannot read the list keeps the keys it has; the key
    # status shows it does not trust the next key, and `hub key promote` waits for it.
    Introduced(("keys",), 2, "the hub's signing-key list (upgrade the agent before promote)"),
    # Required: left out, the unit would report the rollout applied while it still runs its
    # old version, and the operator would read an update that never happened.
    Introduced(
        ("software",),
        3,
        "the agent's software release (this agent predates remote updates: update it by hand)",
        required=True,
    ),
)


class SchemaTooOld(ValueError):
    """The body carries a required field the unit's schema does not have."""

    code = "schema_too_old"


def unit_schema(health: object) -> int:
    """The body schema a unit reads, from its last heartbeat (a dict as the hub stores it)."""
    value = health.get("config_schema") if isinstance(health, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return min(value, CONFIG_SCHEMA_VERSION)
    return DEFAULT_UNIT_SCHEMA


def _present(body: dict[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = body
    for name in path:
        if not isinstance(node, dict) or name not in node:
            return False
        node = node[name]
    return node is not None


def _remove(body: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = body
    for name in path[:-1]:
        node = node.get(name) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def adapt_body(body: dict[str, Any], schema: int) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``body`` as a unit reading ``schema`` accepts it, and the dotted names of what was left
    out. The body's ``schema_version`` becomes the newest schema among the fields it carries
    (1 when none), so a body without new fields stays readable by every unit."""
    out = copy.deepcopy(body)
    omitted: list[str] = []
    highest = 1
    for field in INTRODUCED:
        if not _present(out, field.path):
            continue
        if field.schema <= schema:
            highest = max(highest, field.schema)
            continue
        name = ".".join(field.path)
        if field.required:
            raise SchemaTooOld(
                f"the unit reads config schema {schema}; {name} needs {field.schema} ({field.why})"
            )
        _remove(out, field.path)
        omitted.append(name)
    out["schema_version"] = highest
    return out, tuple(omitted)


def schema_note(schema: int) -> str | None:
    """Why a unit's body lacks fields, for the rollout view: what the hub leaves out of the
    bodies of a unit reading ``schema``; None when it reads them all."""
    newer = [f for f in INTRODUCED if f.schema > schema]
    if not newer:
        return None
    parts = "; ".join(f"{'.'.join(f.path)} ({f.why})" for f in newer)
    return f"the unit reads config schema {schema}: the hub leaves out {parts}"
