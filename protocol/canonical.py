"""Canonical JSON: the byte form that signatures cover and that both sides reproduce exactly.

Sorted keys, no insignificant whitespace, UTF-8 without escaping, no NaN or infinities.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


def canonical_json(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:
        raise ValueError(f"value has no canonical JSON form: {exc}") from exc
    return text.encode("utf-8")


def parse_object(payload: bytes, *, what: str, limit: int) -> dict[str, Any]:
    """Parse a signed document's payload into a plain dict before anything else looks at it:
    refuse what is over ``limit`` bytes, not JSON, has no canonical form (NaN, Infinity) or is
    not an object. ``what`` names the document in the errors."""
    from protocol.errors import MalformedJSON, PayloadTooLarge

    if len(payload) > limit:
        raise PayloadTooLarge(f"{what} is {len(payload)} bytes; the limit is {limit}")
    try:
        raw = json.loads(payload, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedJSON(f"not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise MalformedJSON(f"a {what} must be a JSON object")
    return raw


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
