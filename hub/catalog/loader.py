"""Load a catalog file, refusing a bad one with the file, the field (or line/column) and why."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from hub.catalog.errors import CatalogInvalid
from hub.catalog.jsonfile import parse_json, read_json, validation_issues
from protocol.catalog import Catalog
from protocol.seed import SEED_CATALOG


def parse_catalog(data: object, source: str = "<catalog>") -> Catalog:
    """Validate already-parsed JSON; CatalogInvalid lists every problem with its field."""
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        raise CatalogInvalid(source, validation_issues(exc, data)) from None


def parse_catalog_text(text: str, source: str = "<catalog>") -> Catalog:
    """Parse and validate JSON text, e.g. an upload through the hub API."""
    return parse_catalog(parse_json(text, source), source)


def load_catalog(path: Path | None = None) -> Catalog:
    """Load the catalog at ``path`` (default: the seed catalog shipped with the hub)."""
    path = path or SEED_CATALOG
    return parse_catalog(read_json(path), str(path))
