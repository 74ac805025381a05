"""Illustrative county data that every role may start from: the matter catalog and the village
registry, valid against protocol.catalog and protocol.villages (tools/make_seed_*.py write them).
The hub serves them until an operator loads the county's own; provisioning and the simulators
take their units from the registry."""

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent
SEED_CATALOG = SEED_DIR / "catalog.json"
SEED_VILLAGES = SEED_DIR / "villages.json"
