"""bench/face_eval.py in its bounded form (--quick: three transforms): it runs, finds every face
of the untransformed and gray photos, and writes its results and ROC plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_face_eval_quick_runs_and_reports_recall_far_and_frr(
    model_dir: Path, photo_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "face_eval-quick.json"
    done = subprocess.run(
        [sys.executable, "bench/face_eval.py", "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    decision = report["detection_recall"]["decision"]["per_transform"]
    assert decision["original"] == 1.0  # the group photo's six people included
    assert decision["gray"] == 1.0
    assert report["machine"]["cpu_flags"] is not None
    live = report["verification"]["live_int8"]
    assert live["genuine_pairs"] > 0
    assert live["impostor_pairs"] > 0
    assert 0.3 < live["chosen"]["threshold"] < 0.8
    assert (tmp_path / "face_eval_roc-quick.png").stat().st_size > 1000
    # the ID-card chips are what a card holds: 1024 bytes, so far below the q30 comparison's
    chips = report["set"]["card_chips"]
    assert chips
    assert all(c["jpeg_quality"] < 30 for c in chips)
    assert report["verification"]["id_card_int8"]["genuine_pairs"] > 0
    assert "id_card_q30_int8" in report["verification"]
