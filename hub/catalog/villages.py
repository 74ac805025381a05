"""Loading the village registry (schema: protocol.villages) strictly, with the file, the field
and the reason when it is bad."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from hub.catalog.errors import CatalogInvalid
from hub.catalog.jsonfile import read_json, validation_issues
from protocol.seed import SEED_VILLAGES
from protocol.villages import VillageRegistry


def parse_villages(data: object, source: str = "<villages>") -> VillageRegistry:
    """Validate already-parsed JSON; CatalogInvalid names the field and the reason."""
    try:
        return VillageRegistry.model_validate(data)
    except ValidationError as exc:
        raise CatalogInvalid(source, validation_issues(exc, data)) from None


def load_villages(path: Path | None = None) -> VillageRegistry:
    """Load the registry at ``path`` (default: the seed file shipped with the hub)."""
    path = path or SEED_VILLAGES
    return parse_villages(read_json(path), str(path))
