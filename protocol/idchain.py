"""Generations of ID references: rotating the reference key without ever seeing a number.

Generation 1 is the oblivious PRF of protocol.idref under the hub's key ``k``. Each rotation
adds a hub-only chain key ``c_g`` (32 random bytes) and

    ref_g = HMAC-SHA256(c_g, ref_{g-1})[:32 hex]

so the hub turns every stored reference into the next generation with no number and no unit,
and a leak of ``k`` alone (which makes ref_1 for a candidate number) no longer opens a stored
generation-g reference: that takes every ``c_2 .. c_g`` too. A unit still gets ref_1 through the
blinded exchange and asks the hub for the chain step (hub.window.references_api).

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import TypeGuard

CHAIN_KEY_BYTES = 32
FIRST = 1  # the oblivious PRF's own output: no chain key
_REF = re.compile(r"^[0-9a-f]{32}$")


class MissingChainKey(KeyError):
    """A generation whose chain key is not at hand."""


def is_reference(text: object) -> TypeGuard[str]:
    return isinstance(text, str) and _REF.match(text) is not None


def step(ref: str, chain_key: bytes) -> str:
    """One generation on: ref_g from ref_{g-1} and c_g."""
    if len(chain_key) != CHAIN_KEY_BYTES:
        raise ValueError(f"a chain key is {CHAIN_KEY_BYTES} bytes")
    if not is_reference(ref):
        raise ValueError("not a reference (32 lowercase hex digits)")
    return hmac.new(chain_key, ref.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def forward(ref: str, keys: Mapping[int, bytes], *, start: int, to: int) -> str:
    """``ref`` of generation ``start`` carried to generation ``to`` (>= start) with ``keys``
    (generation -> c_g). References never go back: that is what makes old ones useless."""
    if start < FIRST or to < start:
        raise ValueError(f"cannot carry a generation-{start} reference to generation {to}")
    for g in range(start + 1, to + 1):
        key = keys.get(g)
        if key is None:
            raise MissingChainKey(g)
        ref = step(ref, key)
    return ref


def parse_pairs(text: object) -> list[tuple[str, str]]:
    """A rekey_references command's ``pairs`` ("old:new,old:new"); anything else is ignored."""
    if not isinstance(text, str):
        return []
    found = []
    for part in text.split(","):
        old, _, new = part.strip().partition(":")
        if is_reference(old) and is_reference(new):
            found.append((old, new))
    return found


def format_pairs(pairs: list[tuple[str, str]]) -> str:
    return ",".join(f"{o}:{n}" for o, n in pairs)
