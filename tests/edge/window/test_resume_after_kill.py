"""A power cut in the middle of a case: the real unit process (`edge run` with simulated
devices and the kiosk) is killed with SIGKILL while the applicant is about to sign, started
again, and the case goes on from where its last committed transition left it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from protocol.messages import CaseEnvelope
from provisioning.mosquitto import free_port, wait_for_port
from simulators.printer import VirtualPrinter
from tests.edge.kiosk.stack import id_number
from tests.edge.window.offline_config import CLERK, CLERK_PIN, seed_unit
from tests.support.processes import BIANMIN
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
UNIT = "t160"
NUMBER = id_number("33012219610101004")
STATES = [
    "opened", "consented", "identified", "matter_selected", "materials_checked", "accepted",
    "signed", "approved", "printed", "rated", "closed",
]  # fmt: skip


def _start(
    broker, root: Path, key: str, port: int, printer: VirtualPrinter
) -> subprocess.Popen[bytes]:
    log = open(root / "unit.log", "ab")  # noqa: SIM115 - closed by the child's exit
    with log:
        return subprocess.Popen(
            [BIANMIN, "edge", "run", "--unit", UNIT, "--broker", str(broker.url),
             "--data-dir", str(root / UNIT), "--simulated-devices", "--rate", "0", "--no-face",
             "--hub-key", key, "--kiosk-port", str(port),
             "--printer", f"tcp:127.0.0.1:{printer.port}"],
            env={**os.environ, "BIANMIN_UNIT_PASSWORD": broker.creds.password_for(UNIT)},
            stdout=log, stderr=log,
        )  # fmt: skip


class Kiosk:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def view(self) -> dict:
        return httpx.get(f"{self.url}/api/view", timeout=10).json()

    def act(self, name: str, **args: object) -> dict:
        r = httpx.post(
            f"{self.url}/api/act/{name}", json=args, headers={"x-kiosk": "1"}, timeout=30
        )
        assert r.status_code == 200, r.text
        return r.json()


def _events(root: Path) -> tuple[list[CaseEnvelope], tuple[str] | None]:
    db = sqlite3.connect(f"file:{root / UNIT / 'outbox.sqlite3'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT payload FROM events ORDER BY seq").fetchall()
        snapshot = db.execute(
            "SELECT value FROM unit_state WHERE key = 'workflow.open_case'"
        ).fetchone()
    finally:
        db.close()
    return [CaseEnvelope.model_validate_json(p) for (p,) in rows], snapshot


def test_unit_killed_before_the_signature_resumes_the_same_case_and_finishes_it(broker, tmp_path):
    key = seed_unit(tmp_path / UNIT, UNIT)
    port = free_port()
    kiosk = Kiosk(port)
    with VirtualPrinter(dots=576) as printer:
        unit = _start(broker, tmp_path, key, port, printer)
        try:
            wait_for_port("127.0.0.1", port, timeout=60)
            kiosk.act("sign_in", clerk=CLERK, pin=CLERK_PIN)
            kiosk.act("open")
            kiosk.act("consent", face=False)
            kiosk.act("id_number", number=NUMBER)
            kiosk.act("card_checked", method="id_card")
            kiosk.act("select_matter", code="MED-003")
            wait_until(lambda: kiosk.view()["materials"]["registry"] != "pending", 10, "registry")
            view = kiosk.act(
                "materials", received=["申请表（窗口打印，本人签字）"],
                shown=["居民身份证复印件", "社会保障卡复印件"], decision="accept",
            )  # fmt: skip
            assert view["screen"] == "sign"
            case_ref = view["case"]["case_ref"]
            wait_until(lambda: kiosk.view()["sign"]["ready"], 10, "the pad grabbed")
            unit.send_signal(signal.SIGKILL)  # the power cut
            unit.wait(timeout=10)

            before, snapshot = _events(tmp_path)
            assert [e.body.state for e in before] == [*STATES[:6]]
            assert snapshot is not None
            assert json.loads(snapshot[0])["state"] == "accepted"

            unit = _start(broker, tmp_path, key, port, printer)
            wait_for_port("127.0.0.1", port, timeout=60)
            assert kiosk.view()["screen"] == "signin"  # a restart signs the clerk out
            kiosk.act("sign_in", clerk=CLERK, pin=CLERK_PIN)
            resumed = kiosk.view()
            assert (resumed["screen"], resumed["case"]["case_ref"]) == ("sign", case_ref)
            wait_until(lambda: kiosk.view()["sign"].get("count", 0) > 0, 20, "ink after restart")
            kiosk.act("sign_confirm")
            kiosk.act("route")
            done = wait_until(lambda: (v := kiosk.view())["screen"] == "done" and v, 30, "closed")
            assert done["case"]["case_ref"] == case_ref
        finally:
            unit.send_signal(signal.SIGTERM)
            unit.wait(timeout=15)
        after, snapshot = _events(tmp_path)
    assert [e.body.state for e in after] == STATES
    assert len({e.body.case_id for e in after}) == 1
    assert [e.seq for e in after] == sorted({e.seq for e in after})  # no seq reused
    assert [e.ts for e in after] == sorted(e.ts for e in after)
    assert snapshot is None  # a closed case leaves no snapshot
    assert any(case_ref in "\n".join(s.lines) for s in printer.slips)
