"""Units as the fleet view reads them, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

from sqlmodel import Session

from hub.fleet import units


def test_registered_units_show_their_village_names(engine):
    with Session(engine) as s:
        units.register_units(s, units=[("dongjie-cun", "东街村", "qingshui-zhen")])
        (unit,) = units.list_units(s, stale_after_s=60)
    assert unit.name == "东街村"
    assert unit.stale  # never heard from
    assert unit.last_seen is None or unit.last_seen < datetime.now(UTC)
