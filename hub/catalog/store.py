"""Keep the last good catalog: a bad or stale file is refused and the running one stays.

One store per hub process; each process loads the same file (or the lead's database copy),
so nothing here stops a second process from running.
"""

from __future__ import annotations

from pathlib import Path

from hub.catalog.errors import CatalogError, CatalogNotNewer
from hub.catalog.loader import load_catalog
from protocol.catalog import Catalog


class CatalogStore:
    """Holds the catalog the hub serves. Readers take ``current``; writers call load/replace."""

    def __init__(self, catalog: Catalog, source: str = "<catalog>") -> None:
        self._current = catalog
        self._source = source
        self._last_error: CatalogError | None = None

    @classmethod
    def from_file(cls, path: Path | None = None) -> CatalogStore:
        """Start from a file (default: the seed); raises if it is bad, as there is no last good."""
        catalog = load_catalog(path)
        return cls(catalog, str(path) if path else "seed")

    @property
    def current(self) -> Catalog:
        return self._current

    @property
    def source(self) -> str:
        return self._source

    @property
    def last_error(self) -> CatalogError | None:
        """Why the most recent load or replace was refused; None after a success."""
        return self._last_error

    def load(self, path: Path) -> Catalog:
        """Load ``path`` and make it current; on any CatalogError keep the current one, re-raise."""
        try:
            catalog = load_catalog(path)
        except CatalogError as exc:
            self._last_error = exc
            raise
        return self.replace(catalog, str(path))

    def replace(self, catalog: Catalog, source: str = "<catalog>") -> Catalog:
        """Make a validated catalog current if it is newer; the same content again is a no-op.

        A different catalog under the same or an older version is refused: units compare
        versions, so reusing one would leave some units on content they never receive.
        """
        if catalog == self._current:
            self._last_error = None
            return self._current
        if catalog.version <= self._current.version:
            exc = CatalogNotNewer(
                f"{source}: version {catalog.version} is not newer than the running "
                f"version {self._current.version} from {self._source}, but the content differs"
            )
            self._last_error = exc
            raise exc
        self._current = catalog
        self._source = source
        self._last_error = None
        return catalog
