"""What the hub serves: each unit's slice of the catalog, and the indicator report."""

import json

import pytest

from hub.catalog.errors import RegistryMismatch
from hub.catalog.loader import load_catalog
from hub.catalog.service import (
    catalog_slice,
    check_registry,
    indicators_report,
    matters_for_unit,
    slices_by_unit,
)
from hub.catalog.villages import load_villages, parse_villages
from protocol.canonical import canonical_json
from protocol.catalog import CatalogSlice
from protocol.villages import UnknownUnit
from tests.support.catalog import catalog, matter_data

RURAL_ONLY = {"AGR-001", "AGR-002", "AGR-003", "HOU-001", "HOU-002"}


def test_a_village_handles_every_delegated_matter():
    matters = matters_for_unit("dongjie-cun", load_catalog(), load_villages())
    assert len(matters) == 69
    assert all(m.delegated for m in matters)


def test_an_urban_community_handles_the_delegated_matters_minus_the_rural_ones():
    codes = {m.code for m in matters_for_unit("nanmen-shequ", load_catalog(), load_villages())}
    assert len(codes) == 64
    assert not codes & RURAL_ONLY


def test_slice_carries_the_catalog_version_and_survives_json():
    c = load_catalog()
    s = catalog_slice("hekou-cun", c, load_villages())
    assert s.catalog_version == c.version
    assert CatalogSlice.model_validate_json(s.model_dump_json()) == s


def test_every_unit_gets_a_slice():
    slices = slices_by_unit(load_catalog(), load_villages())
    assert len(slices) == 76
    assert sum(len(s.matters) == 69 for s in slices.values()) == 68


def test_unknown_unit_raises():
    with pytest.raises(UnknownUnit):
        matters_for_unit("atlantis", load_catalog(), load_villages())


def test_registry_excluding_a_matter_the_catalog_does_not_delegate_is_reported():
    registry = parse_villages(
        {
            "_note": "t",
            "county": {"code": "c", "name": "县"},
            "divisions": [{"code": "d", "name": "镇", "kind": "town"}],
            "villages": [
                {
                    "unit_id": "v1",
                    "name": "村",
                    "kind": "village",
                    "division": "d",
                    "has_agent": True,
                    "matters_excluded": ["TST-009"],
                },
            ],
        }
    )
    small = catalog(matter_data("TST-001"))
    with pytest.raises(RegistryMismatch) as caught:
        check_registry(registry, small, "villages.json")
    assert "villages[0](v1).matters_excluded: TST-009 is not a delegated matter" in str(
        caught.value
    )
    # a stale exclusion does not stop the village from getting its slice
    assert [m.code for m in matters_for_unit("v1", small, registry)] == ["TST-001"]


def test_indicator_report_has_both_scopes_and_the_source_figures():
    report = indicators_report(load_catalog())
    assert report["version"] == 1
    assert report["all"]["matters"] == 139
    assert report["delegated"]["matters"] == 69
    assert report["source"]["instant"] == 42


def test_slice_survives_the_canonical_json_that_signatures_cover():
    s = catalog_slice("nanmen-shequ", load_catalog(), load_villages())
    assert CatalogSlice.model_validate(json.loads(canonical_json(s))) == s
