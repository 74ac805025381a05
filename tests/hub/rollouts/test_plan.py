"""Which units a rollout reaches and in which stages: canaries first, spread over divisions."""

import pytest

from hub.catalog.villages import load_villages
from hub.errors import InvalidRequest, UnknownTarget
from hub.rollouts.models import Target
from hub.rollouts.plan import plan_stages, spread_canaries, target_villages

REGISTRY = load_villages()


def test_all_targets_every_village_of_the_registry():
    assert len(target_villages(REGISTRY, Target(all=True))) == 76


def test_a_division_targets_its_villages_only():
    villages = target_villages(REGISTRY, Target(division="qingshui-zhen"))
    assert len(villages) == 12
    assert {v.division for v in villages} == {"qingshui-zhen"}


def test_an_unknown_unit_or_division_is_refused_by_name():
    with pytest.raises(UnknownTarget, match="nowhere-cun"):
        target_villages(REGISTRY, Target(units=["dongjie-cun", "nowhere-cun"]))
    with pytest.raises(UnknownTarget, match="atlantis"):
        target_villages(REGISTRY, Target(division="atlantis"))


def test_a_target_names_exactly_one_kind_of_set():
    with pytest.raises(ValueError, match="exactly one"):
        Target(all=True, division="qingshui-zhen")
    with pytest.raises(ValueError, match="exactly one"):
        Target()


def test_canaries_are_spread_over_the_divisions_before_a_second_one_is_taken():
    picked = spread_canaries(REGISTRY.villages, 10)
    divisions = [REGISTRY.village(u).division for u in picked]
    assert len(set(divisions)) == 10


def test_stages_are_the_canaries_then_the_rest_in_chunks():
    villages = target_villages(REGISTRY, Target(all=True))
    stages = plan_stages(villages, canary_count=3, stage_size=30)
    assert [len(s) for s in stages] == [3, 30, 30, 13]
    every = [u for s in stages for u in s]
    assert sorted(every) == sorted(v.unit_id for v in villages)


def test_named_canaries_go_first_and_must_be_in_the_target():
    villages = target_villages(REGISTRY, Target(division="qingshui-zhen"))
    first = villages[5].unit_id
    assert plan_stages(villages, canary=[first])[0] == [first]
    with pytest.raises(InvalidRequest, match="outside the target"):
        plan_stages(villages, canary=["xijie-cun", "donghu-shequ"])


def test_without_canaries_the_whole_target_is_one_stage():
    villages = target_villages(REGISTRY, Target(units=["dongjie-cun", "xijie-cun"]))
    assert plan_stages(villages) == [["dongjie-cun", "xijie-cun"]]


def test_canaries_cannot_be_the_whole_target():
    villages = target_villages(REGISTRY, Target(units=["dongjie-cun", "xijie-cun"]))
    with pytest.raises(InvalidRequest, match="every target unit is a canary"):
        plan_stages(villages, canary_count=2)
