"""bench/scale.py in its smoke form (--quick: 20 units for 6 s on SQLite, a real Mosquitto and
`hub serve`): every unit connects, every event sent is stored and acknowledged, and the
results file carries the load model, the figures and the machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_scale_quick_connects_every_unit_and_loses_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/scale.py", "--quick", "--results-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "scale-quick.json").read_text())
    run = report["details"]["runs"][0]
    assert run["connected"] == run["units"] == 20
    assert run["events_sent"] > 0
    assert run["events_stored"] == run["events_sent"] == run["events_acked"]
    assert run["lost"] == 0
    assert run["unacked_after_drain"] == 0
    assert run["latency_ms"]["p99"] is not None
    assert report["figures"]["load"]["bench_events_per_unit_s"] > 0
    assert report["machine"]["nofile_limit"] > 0
