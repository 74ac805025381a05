"""Indicators are computed from before/after fields; checked against figures done by hand."""

import pytest

from hub.catalog import indicators
from protocol.catalog import Matter
from tests.support.catalog import matter


def small_catalog() -> list[Matter]:
    """Three matters whose figures are easy to add up by hand.

    A: 4 required materials (3 waived), 1 conditional; steps 6 -> 3; 20 -> 5 days.
    B: 2 required materials (none waived); steps 4 -> 2; instant, 10 -> 0 days.
    C: 4 required materials (2 waived); steps 5 -> 4; 30 -> 10 days; not delegated.
    """
    waived = {"waived": True, "waiver_ground": "county_database"}
    a = matter(
        "TST-001",
        materials=[
            {"name": "申请表", "critical": True},
            {"name": "户口簿复印件", **waived},
            {"name": "村委会证明", "waived": True, "waiver_ground": "not_required_by_law"},
            {"name": "收入证明", "waived": True, "waiver_ground": "home_visit_or_joint_review"},
            {"name": "委托书", "required": False},
        ],
        steps_before=["一", "二", "三", "四", "五", "六"],
        steps_after=["一", "二", "三"],
        legal_days=20,
        promised_days=5,
    )
    b = matter(
        "TST-002",
        materials=[{"name": "申请表"}, {"name": "照片"}],
        steps_before=["一", "二", "三", "四"],
        steps_after=["受理", "办结"],
        legal_days=10,
        promised_days=0,
        instant=True,
        approval="window",
    )
    c = matter(
        "TST-003",
        delegated=False,
        materials=[
            {"name": "申请表"},
            {"name": "章程"},
            {"name": "身份证复印件", "waived": True, "waiver_ground": "document_shown"},
            {"name": "无业证明", "waived": True, "waiver_ground": "unverifiable"},
        ],
        steps_before=["一", "二", "三", "四", "五"],
        steps_after=["一", "二", "三", "四"],
        legal_days=30,
        promised_days=10,
    )
    return [a, b, c]


def test_material_reduction_pools_required_materials_and_skips_conditional_ones():
    # before 4 + 2 + 4 = 10; after 1 + 2 + 2 = 5
    assert indicators.material_reduction(small_catalog()) == pytest.approx(1 - 5 / 10)


def test_step_reduction_pools_step_counts():
    # before 6 + 4 + 5 = 15; after 3 + 2 + 4 = 9
    assert indicators.step_reduction(small_catalog()) == pytest.approx(1 - 9 / 15)


def test_time_compression_pools_working_days():
    # legal 20 + 10 + 30 = 60; promised 5 + 0 + 10 = 15
    assert indicators.time_compression(small_catalog()) == pytest.approx(1 - 15 / 60)


def test_instant_count_and_share():
    assert indicators.instant_count(small_catalog()) == 1
    assert indicators.instant_share(small_catalog()) == pytest.approx(1 / 3)


def test_compute_gathers_totals_and_a_subset_gives_its_own_figures():
    figures = indicators.compute(small_catalog())
    assert (figures.matters, figures.delegated, figures.instant) == (3, 2, 1)
    assert (figures.materials_before, figures.materials_after) == (10, 5)
    assert (figures.steps_before, figures.steps_after) == (15, 9)
    assert (figures.legal_days, figures.promised_days) == (60, 15)
    delegated = indicators.compute(m for m in small_catalog() if m.delegated)
    # A and B only: materials 6 -> 3, steps 10 -> 5, days 30 -> 5
    assert delegated.material_reduction == pytest.approx(0.5)
    assert delegated.step_reduction == pytest.approx(0.5)
    assert delegated.time_compression == pytest.approx(1 - 5 / 30)


def test_empty_input_reduces_nothing_instead_of_dividing_by_zero():
    figures = indicators.compute([])
    assert figures.material_reduction == figures.step_reduction == figures.time_compression == 0
    assert figures.instant_share == 0


def test_rounded_figures_are_json_ready():
    rounded = indicators.compute(small_catalog()).rounded(3)
    assert rounded["step_reduction"] == 0.4
    assert rounded["matters"] == 3
