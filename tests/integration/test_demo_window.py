"""The demo's real window as a new clerk finds it: face verification on when the models are
built (the camera showing a resident's photo), the village's own name, the registry knowing
demo residents, and where the slips are printed, all said at start."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from provisioning.mosquitto import free_port
from simulators.demo_window import face_ready
from tests.support.processes import BIANMIN, stop

pytestmark = pytest.mark.integration


def test_the_demo_window_verifies_faces_and_says_where_its_slips_go(tmp_path):
    if face_ready() is not None:
        pytest.fail(f"the face models are not built: {face_ready()} (make models)")
    proc = subprocess.Popen(
        [BIANMIN, "demo", "--units", "2", "--duration", "40", "--port", str(free_port()),
         "--data-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while not any(ln.startswith("kiosk: http") for ln in lines):
            assert time.monotonic() < deadline, "\n".join(lines)
            line = proc.stdout.readline()
            assert line, "\n".join(lines)
            lines.append(line.rstrip())
        url = next(ln for ln in lines if ln.startswith("kiosk: http")).split(" ", 1)[1]
        view = httpx.get(f"{url}api/view", timeout=10).json()
        text = "\n".join(lines)
        assert "kiosk face verification: on" in text
        assert "registry (信息一库) knows fictional demo resident 330122195203150" in text
        slips = next(ln for ln in lines if ln.startswith("kiosk slips: "))
        assert slips.endswith("/slips/")
        assert str(tmp_path / "demo") in slips
        assert view["face_available"] is True
        assert view["window"].endswith("村便民服务站") or view["window"].endswith("社区便民服务站")
        assert view["window"] != "便民服务站"
    finally:
        stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()
