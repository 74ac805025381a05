"""What the unit makes of a configuration's artifacts once their hash checked out: the catalog
slice, the integrity blacklist and the working-day calendar, each parsed once per SHA-256.

Bytes with the same verified hash are the same content, so each is parsed once per process,
which is what lets a simulator run thousands of units in one process. Content that does not
parse is ``ArtifactInvalid``: the hub signed something broken, and the config is refused.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import ValidationError

from edge.errors import ArtifactInvalid
from protocol.calendar import WorkCalendar
from protocol.case import IntegrityBlacklist
from protocol.catalog import CatalogSlice
from protocol.config import ArtifactRef
from protocol.holidays import HolidayCalendar
from protocol.messages import describe

MAX_SLICE_BYTES = 32 * 1024 * 1024
T = TypeVar("T")


class _Memo(Generic[T]):
    """Parsed contents by SHA-256, the last ``size`` of them."""

    def __init__(self, parse: Callable[[ArtifactRef, bytes], T], size: int) -> None:
        self._parse = parse
        self._items: OrderedDict[str, T] = OrderedDict()
        self._size = size

    def get(self, ref: ArtifactRef, path: Path) -> T:
        found = self._items.get(ref.sha256)
        if found is None:
            data = path.read_bytes()
            if ref.encoding == "gzip":
                data = _gunzip(data, MAX_SLICE_BYTES)
            found = self._parse(ref, data)
            self._items[ref.sha256] = found
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return found


def _gunzip(data: bytes, limit: int) -> bytes:
    """Unpack gzip, refusing output past ``limit`` (the hash is signed, but a bug in the hub
    should not be able to fill the unit's memory)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise ArtifactInvalid(f"artifact: not valid gzip: {exc}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise ArtifactInvalid(f"artifact: unpacks to more than {limit} bytes, or is cut")
    return out


def _slice(ref: ArtifactRef, data: bytes) -> CatalogSlice:
    try:
        return CatalogSlice.model_validate_json(data)
    except ValidationError as exc:
        raise ArtifactInvalid(f"catalog slice: {describe(exc)}") from None


class Blacklist(frozenset[str]):
    """The integrity blacklist's references, and the generation they are of (protocol.
    idchain; 1 before the hub's first rotation)."""

    generation: int

    def __new__(cls, refs: Iterable[str] = (), generation: int = 1) -> Blacklist:
        made = super().__new__(cls, refs)
        made.generation = generation
        return made


def usable_blacklist(blacklist: frozenset[str] | None, generation: int) -> frozenset[str] | None:
    """``blacklist`` if its references are of the unit's ``generation``, else None: between a
    rotation and the unit's re-keying the two differ, and a list that cannot match must count
    as no list (no green channel), never as a list that holds nobody."""
    if blacklist is None:
        return None
    return blacklist if getattr(blacklist, "generation", 1) == generation else None


def _blacklist(ref: ArtifactRef, data: bytes) -> Blacklist:
    try:
        doc = IntegrityBlacklist.model_validate_json(data)
    except ValidationError as exc:
        raise ArtifactInvalid(f"integrity blacklist: {describe(exc)}") from None
    return Blacklist(doc.refs, doc.generation or 1)


def _calendar(ref: ArtifactRef, data: bytes) -> WorkCalendar:
    try:
        return WorkCalendar.from_document(HolidayCalendar.model_validate_json(data))
    except ValidationError as exc:
        raise ArtifactInvalid(f"work calendar: {describe(exc)}") from None


SLICES = _Memo(_slice, 8)
BLACKLISTS = _Memo(_blacklist, 4)
CALENDARS = _Memo(_calendar, 4)
