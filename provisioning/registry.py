"""Which units get credentials: the village registry's (schema: protocol.villages), and for load
runs larger than one county, synthetic units after them."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from protocol.seed import SEED_VILLAGES
from protocol.villages import VillageRegistry


class RegistryUnreadable(ValueError):
    """The registry file is missing, not JSON, or breaks the schema; the message says where."""

    code = "registry_unreadable"


def load_registry(path: Path | None = None) -> VillageRegistry:
    """The registry at ``path`` (default: the seed registry)."""
    path = path or SEED_VILLAGES
    try:
        return VillageRegistry.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise RegistryUnreadable(f"{path}: cannot read it: {exc.strerror}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise RegistryUnreadable(
            f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s); "
            "`bianmin catalog villages FILE` lists them all)"
        ) from None


def synthetic_unit_id(index: int) -> str:
    """The id of the ``index``-th unit beyond the registry (load runs only)."""
    return f"sim-{index:05d}"


def unit_ids(registry: VillageRegistry, count: int | None = None) -> list[str]:
    """The first ``count`` units: the registry's in file order, then synthetic ones."""
    ids = list(registry.unit_ids())
    if count is None:
        return ids
    if count < 0:
        raise ValueError("the number of units cannot be negative")
    return (ids + [synthetic_unit_id(i) for i in range(count - len(ids))])[:count]
