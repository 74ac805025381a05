"""The county day's face checks on the real pipeline (the pinned LiteRT models, the photos the
pinned packages carry): a resident enrolled at a unit is verified on a later frame of their
own face and refused on another person's; each verdict is journalled in the unit's data dir,
so a restarted unit and the report read it back instead of running the pipeline again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulators.county.faces import Checks, Photos, Recorded, Shot, render

pytestmark = [pytest.mark.integration]
UNIT = "sim-cun"


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> Checks:
    return Checks(tmp_path_factory.mktemp("units"))


def test_an_enrolled_resident_is_verified_on_another_photo_and_another_person_is_refused(
    checks: Checks,
):
    enrolled = checks.enrol(UNIT, "case-1/enrol", "ref-a", Shot("obama", 0, angle=3.0))
    assert enrolled.match
    assert enrolled.problem is None

    own = checks.verify(UNIT, "case-2/verify", "ref-a", Shot("obama", 1, mirror=True, gain=0.9))
    other = checks.verify(UNIT, "case-3/verify", "ref-a", Shot("biden", 0))

    assert own.match, own
    assert own.distance is not None
    assert own.threshold is not None
    assert own.distance < own.threshold
    assert not other.match, other
    assert other.distance is not None
    assert other.distance > own.threshold
    assert other.distance - own.distance > 0.15
    assert own.cpu_ms > 0
    assert checks.stats.checks == 3


def test_a_poor_frame_is_refused_by_the_quality_gates_not_judged(checks: Checks):
    dark = checks.verify(UNIT, "case-8/verify", "ref-a", Shot("obama", 1, degraded="dark"))
    assert not dark.match
    assert dark.problem == "quality"
    assert dark.distance is None


def test_the_live_face_matches_the_chip_photo_of_the_same_person_only(checks: Checks):
    same = checks.chip(UNIT, "case-4/chip", Shot("group-3", 0, gain=1.1))
    assert same.match, same
    other = checks.verify(UNIT, "case-5/verify", "ref-a", Shot("group-3", 0))
    assert not other.match


def test_a_verdict_is_read_back_from_the_units_journal_not_computed_again(
    checks: Checks, tmp_path: Path
):
    first = checks.verify(UNIT, "case-6/verify", "ref-a", Shot("obama", 1))
    runs = checks.stats.checks
    assert checks.verify(UNIT, "case-6/verify", "ref-a", Shot("obama", 1)) == first
    assert checks.stats.checks == runs
    assert Recorded(checks.root).verify(UNIT, "case-6/verify", "ref-a", Shot("obama", 1)) == first
    with pytest.raises(LookupError):
        Recorded(checks.root).verify(UNIT, "case-7/verify", "ref-a", Shot("obama", 1))


def test_a_camera_frame_is_a_pure_function_of_the_shot(checks: Checks):
    photos: Photos = checks.photos
    shot = Shot("biden", 0, mirror=True, angle=-7.5, gain=1.15, jpeg=70, degraded="backlight")
    a = render(photos.pictures["biden"][0], shot)
    b = render(photos.pictures["biden"][0], shot)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render(photos.pictures["biden"][0], Shot("biden", 0)))
