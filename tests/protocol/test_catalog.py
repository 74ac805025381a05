"""The catalog schema refuses matters that break the reform's rules, and names the field."""

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from protocol.catalog import Catalog, CatalogSlice, Fee, Material, Matter, format_yuan
from tests.support.catalog import catalog, catalog_data, matter, matter_data


def refused(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return str(caught.value)


def test_a_well_formed_matter_counts_its_materials_before_and_after():
    m = matter()
    assert (m.materials_before, m.materials_after) == (2, 1)
    assert m.time_limit_text() == "5个工作日"


def test_promised_time_limit_may_not_exceed_the_legal_one():
    msg = refused(Matter, matter_data(legal_days=10, promised_days=15))
    assert "promised_days: 15 exceeds the legal time limit" in msg


def test_instant_matter_promises_zero_days_and_zero_days_means_instant():
    assert "an instant (即办) matter promises 0" in refused(
        Matter, matter_data(instant=True, approval="window", promised_days=2)
    )
    assert "set instant to true" in refused(Matter, matter_data(promised_days=0))
    assert matter(instant=True, approval="window", promised_days=0).time_limit_text() == "即办"


def test_instant_matter_is_decided_at_the_window():
    msg = refused(Matter, matter_data(instant=True, promised_days=0, approval="town"))
    assert "approval: an instant matter is decided at the window" in msg


@pytest.mark.parametrize(
    ("material", "reason"),
    [
        ({"waived": True}, "a waived material needs one of the five waiver grounds"),
        ({"waiver_ground": "county_database"}, "set, but the material is not waived"),
        ({"waiver_note": "信息一库核验"}, "set, but the material is not waived"),
        ({"critical": True, "deferrable": True}, "容缺 applies only to non-critical materials"),
        (
            {"waived": True, "waiver_ground": "unverifiable", "deferrable": True},
            "a waived material is not supplied at all",
        ),
        (
            {"waived": True, "waiver_ground": "unverifiable", "critical": True},
            "a waived material cannot be critical",
        ),
        ({"waived": True, "waiver_ground": "because"}, "Input should be"),
    ],
)
def test_material_rules_on_waivers_and_deficiency_acceptance(material, reason):
    assert reason in refused(Material, {"name": "材料", **material})


def test_every_one_of_the_five_waiver_grounds_is_accepted():
    grounds = [
        "not_required_by_law",
        "county_database",
        "home_visit_or_joint_review",
        "unverifiable",
        "document_shown",
    ]
    for ground in grounds:
        assert Material(name="材料", waived=True, waiver_ground=ground).counts_after is False


def test_deferrable_material_requires_the_deficiency_slip_and_vice_versa():
    deferrable = [{"name": "银行账户信息", "deferrable": True}]
    assert "prints the deficiency_slip" in refused(Matter, matter_data(materials=deferrable))
    slips = ["acceptance_receipt", "deficiency_slip"]
    assert "no material is deferrable" in refused(Matter, matter_data(slips=slips))
    assert matter(materials=deferrable, slips=slips).deferrable_materials[0].name == "银行账户信息"


def test_village_level_matter_must_be_delegated():
    msg = refused(Matter, matter_data(level="village", delegated=False))
    assert "a village-level matter is always handled at the village window" in msg


def test_duplicate_material_names_within_a_matter_are_refused():
    materials = [{"name": "申请表"}, {"name": "申请表"}]
    assert "materials[1].name: duplicate '申请表'" in refused(
        Matter, matter_data(materials=materials)
    )


def test_catalog_refuses_duplicate_codes_and_names():
    msg = refused(Catalog, catalog_data(matter_data("TST-001"), matter_data("TST-001")))
    assert "matters[1].code: duplicate 'TST-001'" in msg
    same_name = matter_data("TST-002", name="测试事项TST-001")
    assert "matters[1].name: duplicate" in refused(Catalog, catalog_data(matter_data(), same_name))


def test_unknown_fields_and_bad_codes_are_refused():
    assert "Extra inputs are not permitted" in refused(Catalog, {**catalog_data(), "extra": 1})
    assert "String should match pattern" in refused(Catalog, catalog_data(matter_data("tst-1")))


def test_models_are_frozen():
    c = catalog()
    with pytest.raises(ValidationError):
        c.version = 2  # type: ignore[misc]


def test_slice_carries_only_delegated_matters():
    m = matter(delegated=False)
    with pytest.raises(ValidationError, match="is not delegated to villages"):
        CatalogSlice(catalog_version=1, matters=(m,))


def test_money_is_shown_with_the_full_width_yuan_sign():
    assert format_yuan(2000) == "￥20.00"
    assert format_yuan(5) == "￥0.05"
    assert Fee(item="居民身份证工本费", amount_fen=4000).display() == "居民身份证工本费 ￥40.00"
    assert "¥" not in format_yuan(123456)


def test_catalog_round_trips_through_json_with_its_note():
    c = catalog(matter_data(), matter_data("TST-002"))
    again = Catalog.model_validate_json(c.model_dump_json(by_alias=True))
    assert again == c
    assert again.get("TST-002") is not None
    assert again.get("TST-404") is None
