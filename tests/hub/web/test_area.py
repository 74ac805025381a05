from hub.accounts.area import COUNTY, Area, covers, units_in
from hub.catalog.villages import load_villages


def _registry():
    return load_villages(None)


def test_the_county_covers_every_unit():
    registry = _registry()
    assert units_in(COUNTY, registry) is None
    assert covers(COUNTY, registry, registry.unit_ids()[0])


def test_a_town_covers_its_own_villages_only():
    registry = _registry()
    town = registry.divisions[0].code
    mine = {v.unit_id for v in registry.in_division(town)}
    assert units_in(Area(town=town), registry) == frozenset(mine)
    other = next(u for u in registry.unit_ids() if u not in mine)
    assert not covers(Area(town=town), registry, other)


def test_a_village_covers_its_unit_and_a_removed_area_covers_nothing():
    registry = _registry()
    unit = registry.unit_ids()[0]
    assert units_in(Area(village=unit), registry) == frozenset({unit})
    assert units_in(Area(town="gone"), registry) == frozenset()
    assert units_in(Area(village="gone"), registry) == frozenset()
    assert Area(town="gone").label(registry) == "（已撤销的区域）"
