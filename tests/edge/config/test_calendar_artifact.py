"""The working-day calendar in a unit's configuration: applied with it, counted on by the
window, checked like every artifact; a configuration without one runs on the seed and says so."""

import hashlib
import json
from datetime import date

from protocol.calendar import WorkCalendar
from protocol.canonical import canonical_json
from protocol.config import ArtifactKind, ArtifactRef, artifact_path
from protocol.holidays import HolidayCalendar
from protocol.seed import SEED_CALENDAR
from tests.edge.config.test_applier import KEY, REF, Unit, code_of
from tests.support.config import body, put_in_cache, signed


def calendar_bytes(version: int = 2) -> bytes:
    data = json.loads(SEED_CALENDAR.read_text(encoding="utf-8"))
    data["version"] = version
    data["years"][1]["holidays"].append(
        {"name": "县庆", "first": "2026-12-01", "last": "2026-12-02"}
    )
    return canonical_json(HolidayCalendar.model_validate(data).model_dump(mode="json"))


def ref_for(content: bytes) -> ArtifactRef:
    sha = hashlib.sha256(content).hexdigest()
    return ArtifactRef(
        kind=ArtifactKind.WORK_CALENDAR, sha256=sha, size=len(content), path=artifact_path(sha)
    )


def with_calendar(version: int, content: bytes) -> dict:
    return signed(KEY, "t001", version, body(REF, calendar=ref_for(content)))


def test_a_configuration_carrying_a_calendar_counts_deadlines_on_it(tmp_path):
    u = Unit(tmp_path)
    content = calendar_bytes()
    put_in_cache(tmp_path / "artifacts", content)
    assert u.offer(with_calendar(1, content)).status == "applied"
    running = u.applier.current
    assert running is not None
    assert running.calendar_source == "config"
    assert running.work_calendar.version == 2
    assert not running.work_calendar.is_working_day(date(2026, 12, 1))  # the county's day off
    assert WorkCalendar.seed().is_working_day(date(2026, 12, 1))


def test_a_configuration_without_a_calendar_runs_on_the_seed_and_says_so(tmp_path):
    u = Unit(tmp_path)
    assert u.offer(signed(KEY, "t001", 1, body(REF))).status == "applied"
    running = u.applier.current
    assert running is not None
    assert running.calendar is None
    assert running.calendar_source == "seed"
    assert running.work_calendar == WorkCalendar.seed()


def test_a_calendar_that_is_not_a_calendar_is_refused_and_the_old_config_keeps_running(tmp_path):
    u = Unit(tmp_path)
    assert u.offer(signed(KEY, "t001", 1, body(REF))).status == "applied"
    running = u.applier.current
    broken = json.loads(calendar_bytes())
    broken["years"][0]["workdays"].append("2025-03-05")  # a Wednesday: the hub signed a bug
    content = canonical_json(broken)
    put_in_cache(tmp_path / "artifacts", content)
    outcome = u.offer(with_calendar(2, content))
    assert code_of(outcome) == "artifact_invalid"
    assert "work calendar" in str(outcome.reason)
    assert u.applier.current is running


def test_a_calendar_pointer_of_another_kind_is_an_invalid_body(tmp_path):
    u = Unit(tmp_path)
    content = calendar_bytes()
    put_in_cache(tmp_path / "artifacts", content)
    doc = body(REF, calendar=ref_for(content))
    doc["calendar"]["kind"] = ArtifactKind.MODEL_BUNDLE.value  # as a buggy hub might sign it
    outcome = u.offer(signed(KEY, "t001", 1, doc))
    assert code_of(outcome) == "invalid_message"
    assert "calendar: must be work_calendar" in str(outcome.reason)
