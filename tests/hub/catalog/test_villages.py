"""The village registry: the seed's shape, lookups, and refusal of a broken registry file."""

import json
from pathlib import Path

import pytest

from hub.catalog.errors import CatalogInvalid, CatalogSyntaxError
from hub.catalog.villages import load_villages
from protocol import topics
from protocol.villages import UnknownDivision, UnknownUnit

SMALL = {
    "_note": "test",
    "county": {"code": "c", "name": "测试县"},
    "divisions": [
        {"code": "a-zhen", "name": "甲镇", "kind": "town"},
        {"code": "b-jiedao", "name": "乙街道", "kind": "subdistrict"},
    ],
    "villages": [
        {
            "unit_id": "a1-cun",
            "name": "一村",
            "kind": "village",
            "division": "a-zhen",
            "has_agent": True,
        },
        {
            "unit_id": "b1-shequ",
            "name": "一社区",
            "kind": "community",
            "division": "b-jiedao",
            "has_agent": False,
            "matters_excluded": ["AGR-001"],
        },
    ],
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "villages.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_seed_registry_has_the_countys_shape():
    registry = load_villages()
    assert registry.summary() == {
        "divisions": 10,
        "towns": 4,
        "subdistricts": 5,
        "high_tech_zones": 1,
        "villages": 76,
        "communities": 21,
        "with_agent": 51,
    }
    assert "illustrative" in registry.note.lower()


def test_every_seed_unit_id_is_a_valid_topic_level():
    for unit in load_villages().unit_ids():
        assert topics.check_unit_id(unit) == unit


def test_lookups_by_unit_and_by_division(tmp_path):
    registry = load_villages(write(tmp_path, SMALL))
    assert registry.village("b1-shequ").matters_excluded == ("AGR-001",)
    assert [v.unit_id for v in registry.in_division("a-zhen")] == ["a1-cun"]
    assert registry.division("b-jiedao").name == "乙街道"


def test_unknown_unit_and_division_raise_catalog_errors():
    registry = load_villages()
    with pytest.raises(UnknownUnit):
        registry.village("no-such-cun")
    with pytest.raises(UnknownDivision):
        registry.in_division("no-such-zhen")


def test_duplicate_unit_id_is_refused_naming_the_field(tmp_path):
    data = json.loads(json.dumps(SMALL))
    data["villages"][1]["unit_id"] = "a1-cun"
    with pytest.raises(CatalogInvalid) as caught:
        load_villages(write(tmp_path, data))
    assert "villages[1](a1-cun).unit_id: duplicate unit id" in str(caught.value)
    assert str(tmp_path / "villages.json") in str(caught.value)


def test_village_under_an_unknown_division_is_refused(tmp_path):
    data = json.loads(json.dumps(SMALL))
    data["villages"][0]["division"] = "nowhere"
    with pytest.raises(
        CatalogInvalid, match=r"villages\[0\]\(a1-cun\)\.division: unknown division"
    ):
        load_villages(write(tmp_path, data))


def test_unit_id_that_cannot_be_a_topic_level_is_refused(tmp_path):
    data = json.loads(json.dumps(SMALL))
    data["villages"][0]["unit_id"] = "东街村"
    with pytest.raises(CatalogInvalid, match=r"villages\[0\].*unit_id"):
        load_villages(write(tmp_path, data))


def test_broken_json_is_refused_with_line_and_column(tmp_path):
    path = tmp_path / "villages.json"
    path.write_text('{\n  "_note": "x",\n  "county": {,\n}', encoding="utf-8")
    with pytest.raises(CatalogSyntaxError, match=r"line 3, column 14"):
        load_villages(path)
