"""`bianmin simulate county` end to end: a real Mosquitto, the hub as `bianmin hub serve`, the
units' real agents in worker processes with their real face pipeline, on an accelerated clock.
A short day (8 villages, the day in 12-18 s) ends with every committed event in the hub once,
the noon catalog change applied and used, the follow-ups closed by the evening, and the report
written; with chaos, after a kill -9 of the hub, of the broker and of a worker of units, and a
cut link."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from simulators.county.run import Options, simulate

pytestmark = [pytest.mark.integration]
VILLAGES = 8


def _check_delivery(report: dict) -> None:
    d = report["delivery"]
    assert d["units"] == VILLAGES
    assert d["committed_by_units"] == report["plan"]["events"] > 0
    assert d["in_hub"] == d["committed_by_units"]
    assert (d["lost"], d["duplicates"], d["unexpected"], d["in_flight"]) == (0, 0, 0, 0)


def test_a_short_county_day_stores_every_event_once_and_reports_the_hubs_indicators(
    tmp_path: Path,
):
    out = tmp_path / "report"
    options = Options(seed=4, villages=VILLAGES, speed=32400 / 12, workers=2, bad_share=0.15,
                      boot_s=3, rollout_at_s=3600)  # fmt: skip
    report = asyncio.run(simulate(options, out, tmp_path / "run"))

    _check_delivery(report)
    assert json.loads((out / "report.json").read_text())["delivery"] == report["delivery"]
    page = (out / "report.html").read_text()
    assert "<svg" in page
    assert "零丢失、零重复" in page
    assert "cdn" not in page.lower()
    visits = report["plan"]["visits"]
    assert sum(h["cases"] for h in report["cases_per_hour"]) == visits
    assert report["latency"]["events"] == report["plan"]["events"]
    assert report["latency"]["p99_ms"] >= report["latency"]["p50_ms"] > 0
    assert report["outbox"], "the units' outbox depths were sampled"
    first, noon = report["rollouts"]
    assert first["state"] == noon["state"] == "completed"
    assert noon["counts"]["applied"] == VILLAGES
    # the noon change: a new catalog version the units applied, used by the cases opened after
    change = report["catalog_change"]
    assert change["version"] == noon["catalog_version"] > first["catalog_version"]
    assert change["changed_matters"] > 0
    versions = change["config_versions"]
    assert versions["applied_desired"] == versions["switched_to_new_catalog"] == VILLAGES
    cases = change["cases_on_changed_matters"]
    # at this speed the operators' 37 edits take a simulated hour or two: the change starts
    # at 09:30 so that the units switch with half the day still to come
    switched = sorted({u["catalog_switch"] for u in versions["per_unit"].values()})
    assert cases["after_switch"]["new"] > 0, (cases, switched)
    assert cases["after_switch"]["old"] == cases["before_switch"]["new"] == 0, cases
    assert cases["before_switch"]["old"] > 0, cases
    # real face checks: what the units' pipelines said, and the hub's records agree
    face = report["plan"]["face"]
    assert face["checks"] > 0, face
    assert face["enrolled"] > 0, face
    assert face["returning"] > 0, face
    assert report["face_cost"]["pipeline_runs"] == face["checks"]
    assert report["face_cost"]["cpu_ms_per_run"] > 0
    assert report["face_on_hub"].get("face", 0) == face["verified_by_face"]
    # bad ratings' follow-ups, from the hub's records: those opened by 15:30 reach 办结
    f = report["followups"]
    assert f["opened"] == sum(n for level, n in report["plan"]["ratings"].items()
                              if level in ("1", "2"))  # fmt: skip
    assert f["opened_before"] > 0, f
    assert f["of_those_closed"] == f["opened_before"], f
    totals = report["indicators"]["totals"]
    assert totals["cases"] == visits
    assert totals["ratings"]["rated"] == sum(
        n for level, n in report["plan"]["ratings"].items() if level != "unrated"
    )
    assert totals["materials"]["rate"] is not None
    # the back office worked the forwarded cases through the hub's API
    assert report["offices"]["received"] > 0


@pytest.mark.chaos
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_chaos_day_loses_nothing_and_reports_how_long_each_recovery_took(
    tmp_path: Path, database_url: str
):
    options = Options(seed=2, villages=VILLAGES, speed=32400 / 18, workers=2, chaos=True,
                      database_url=database_url, boot_s=3)  # fmt: skip
    report = asyncio.run(simulate(options, tmp_path / "report", tmp_path / "run"))

    _check_delivery(report)
    kinds = {r["kind"]: r for r in report["chaos"]}
    assert set(kinds) == {"hub", "broker", "units", "link"}
    for r in kinds.values():
        assert r["down_s"] > 0
        assert r["recovered_s"] is not None, r
    assert "混沌与恢复" in (tmp_path / "report" / "report.html").read_text()
