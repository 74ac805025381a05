"""County data that every role may start from: the illustrative matter catalog and village
registry, valid against protocol.catalog and protocol.villages (tools/make_seed_*.py write
them), and the working-day calendar (protocol.holidays), which is not illustrative: it is the
State Council's notices, typed in and checked day by day. The hub serves them until an operator
loads the county's own; provisioning and the simulators take their units from the registry."""

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent
SEED_CATALOG = SEED_DIR / "catalog.json"
SEED_VILLAGES = SEED_DIR / "villages.json"
SEED_CALENDAR = SEED_DIR / "calendar.json"
