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
