"""The town's back office and the village window in real headless Chromium, over real
processes: `hub serve` (SQLite) and `bianmin edge run` with simulated devices, Mosquitto, and
the virtual printer rendering slips as PNG.

A town matter is taken at the window (through the kiosk's own API) and forwarded. The town's
officer, signed in at /login (the session cookie; changes carry its CSRF token), finds it in
the office's queue with its working days left, receives it, records the agent's paper
handover with both signatures drawn on the page, and completes it. The window's kiosk shows
the 办结通知; the clerk prints it for the applicant; the notice decodes with the case ref and
the handover shows on the office's page. Set BIANMIN_BACKOFFICE_SCREENSHOTS=DIR to keep screenshots.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from protocol import identity
from protocol.catalog import Approval
from provisioning.mosquitto import free_port, wait_for_port
from simulators.printer import VirtualPrinter
from tests.conftest import Broker, start_broker
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS, run
from tests.support.cases import matter_where
from tests.support.processes import BIANMIN, stop
from tests.support.signin import sign_in_page
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
UNIT = "dongjie-cun"  # 清水镇
MATTER = matter_where(approval=Approval.TOWN)
NUMBER = "33012219700101005" + identity.check_digit("33012219700101005")
SHOTS = os.environ.get("BIANMIN_BACKOFFICE_SCREENSHOTS")
PIN = "285714"


@dataclass
class Stack:
    hub: str
    kiosk: str
    office: str  # the back office's password
    printer: VirtualPrinter
    procs: list[subprocess.Popen[bytes]]
    root: Path
    clerk: str  # the village's clerk on the hub's roster (PIN below)

    def log_tail(self) -> str:
        return (self.root / "processes.log").read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    root = tmp_path_factory.mktemp("backoffice")
    broker: Broker = start_broker(root / "mosquitto", [UNIT])
    db = f"sqlite:///{root / 'hub.sqlite3'}"
    ops = json.loads(run("hub", "user", "add", "ops", "--role", "operator", "--database", db))
    office_password = root / "office-password"
    office_password.write_text("Town-office-desk-7\n")
    run("hub", "user", "add", "qingshui", "--role", "backoffice", "--town", "qingshui-zhen",
        "--password-file", str(office_password), "--database", db)  # fmt: skip
    clerk = json.loads(
        subprocess.run(
            [BIANMIN, "hub", "clerks", "add", UNIT, "--name", "王芳", "--pin-stdin",
             "--database", db], input=PIN, capture_output=True, text=True, check=True,
        ).stdout
    )["id"]  # fmt: skip
    log = open(root / "processes.log", "ab")  # noqa: SIM115 - lives as long as the processes
    port, kiosk_port = free_port(), free_port()
    hub = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": broker.creds.hub_password,
           "BIANMIN_HUB_NOTICE_TICK_S": "0.5"}  # fmt: skip
    procs = [subprocess.Popen(
        [BIANMIN, "hub", "serve", "--database", db, "--port", str(port), "--broker",
         str(broker.url), "--data-dir", str(root / "hub")],
        env=env, stdout=log, stderr=log,
    )]  # fmt: skip
    printer = VirtualPrinter(dots=576, out_dir=root / "slips").start()
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        key = run("hub", "pubkey", "--key-file", str(root / "hub" / "hub_signing_key.pem"))
        procs.append(subprocess.Popen(
            [BIANMIN, "edge", "run", "--unit", UNIT, "--broker", str(broker.url),
             "--data-dir", str(root / UNIT), "--simulated-devices", "--rate", "0", "--no-face",
             "--hub-url", hub, "--hub-key", key.strip(), "--kiosk-port", str(kiosk_port),
             "--printer", f"tcp:127.0.0.1:{printer.port}", "--health-interval", "1",
             "--window-name", "清水镇东街村便民服务站"],
            env={**os.environ, "BIANMIN_UNIT_PASSWORD": broker.creds.password_for(UNIT)},
            stdout=log, stderr=log,
        ))  # fmt: skip
        rollout = httpx.post(
            f"{hub}/api/rollouts", json={"target": {"units": [UNIT]}, "note": "back office test"},
            headers={"authorization": f"Bearer {ops['token']}"}, timeout=30,
        )  # fmt: skip
        assert rollout.status_code == 201, rollout.text
        wait_for_port("127.0.0.1", kiosk_port, timeout=60)
        yield Stack(
            hub,
            f"http://127.0.0.1:{kiosk_port}/",
            "Town-office-desk-7",
            printer,
            procs,
            root,
            clerk,
        )
    finally:
        for p in reversed(procs):
            stop(p)
        printer.stop()
        log.close()
        broker.process.stop()


def forward_a_case(kiosk: str, clerk: str) -> str:
    """A town matter through the window by the kiosk's own API, as its page posts; the ref."""
    with httpx.Client(base_url=kiosk, headers={"x-kiosk": "1"}, timeout=30) as http:
        return _forward(http, clerk)


def _forward(http: httpx.Client, clerk: str) -> str:
    def view() -> dict[str, Any]:
        return http.get("/api/view").json()

    def act(name: str, **args: Any) -> dict[str, Any]:
        got = http.post(f"/api/act/{name}", json=args)
        assert got.status_code == 200, got.text
        return got.json()

    wait_until(lambda: view()["config"], 60, "the county's configuration at the window")
    act("sign_in", clerk=clerk, pin=PIN)  # the village's clerk, for the case and the notice
    act("open")
    act("consent", face=False)
    act("id_number", number=NUMBER)
    act("card_checked", method="id_card")
    act("select_matter", code=MATTER.code)
    lines = wait_until(
        lambda: (v := view()).get("materials", {}).get("registry") != "pending"
        and v["materials"]["lines"], 30, "the registry's answer",
    )  # fmt: skip
    needed = [ln["name"] for ln in lines if ln["status"] == "needed"]
    act("materials", received=needed, shown=[], decision="accept")
    wait_until(lambda: (view().get("sign") or {}).get("count"), 30, "the simulated signature")
    act("sign_confirm")
    act("route")
    done = wait_until(lambda: (v := view())["screen"] == "done" and v, 60, "printing and rating")
    act("next")
    return str(done["case"]["case_ref"])


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign(page: Any, pad: str, dx: int) -> None:
    box = page.locator(f'canvas[data-pad="{pad}"]').bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 100)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 30 + i * dx, box["y"] + 100 - (i % 3) * 25, steps=2)
    page.mouse.up()


def test_the_town_completes_a_forwarded_case_on_its_page_and_the_window_hands_it_over(stack):
    case_ref = forward_a_case(stack.kiosk, stack.clerk)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = office.new_page()
        page.set_default_timeout(30_000)
        sign_in_page(page, stack.hub, "qingshui", stack.office)

        # the queue: the forwarded case with its working days left
        row = page.locator("#queue tr", has_text=case_ref)
        wait_until(lambda: page.goto(stack.hub + "/backoffice") and row.count(), 30, "the queue")
        assert "清水镇便民服务中心" in page.locator("header").inner_text()
        assert "待受理" in row.inner_text()
        assert "个工作日" in row.locator(".promised-left").inner_text()
        shot(page, "queue")
        row.locator("a").click()
        page.locator("#case-ref").wait_for()
        assert page.locator("#case-ref").inner_text() == case_ref

        page.locator("#form-receive button[type=submit]").click()
        page.locator("#case[data-status=received]").wait_for()
        assert page.locator("#case-status").inner_text() == "已受理"

        page.locator('#form-handover input[name="agent"]').fill("ck-0000abcd")
        page.locator('#form-handover textarea[name="materials"]').fill("申请表原件\n独生子女证")
        sign(page, "agent_signature", 25)
        sign(page, "officer_signature", 20)
        shot(page, "handover")
        page.locator("#form-handover button[type=submit]").click()
        page.locator('#timeline tr[data-step="handover"]').wait_for()
        assert "双方已签名" in page.locator('#timeline tr[data-step="handover"]').inner_text()

        page.locator('#form-complete textarea[name="result"]').fill("准予确认，奖励扶助金按年发放")
        page.locator("#form-complete button[type=submit]").click()
        page.locator("#case[data-status=completed]").wait_for()
        assert page.locator("#case-result").inner_text() == "准予确认，奖励扶助金按年发放"
        assert "办结通知" in page.locator("#notices").inner_text()

        def notice_stored() -> bool:
            page.reload()
            return page.locator('#notices tr[data-status="delivered"]').count() == 1

        wait_until(notice_stored, 30, "the unit to store the notice", poll=0.5)
        shot(page, "completed")

        # the window: the notice on the kiosk, printed and handed over
        kiosk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        screen = kiosk.new_page()
        screen.goto(stack.kiosk)
        button = screen.locator("#notices-button")
        wait_until(lambda: button.locator("b").count() and button.inner_text(), 30, "the badge")
        assert "1" in button.locator("b").inner_text()
        button.click()
        item = screen.locator("#notices-panel .notice-item", has_text=case_ref)
        assert "办结通知" in item.inner_text()
        assert "准予确认" in item.inner_text()
        shot(screen, "kiosk-notice")
        item.locator("button[data-deliver]").click()
        screen.locator('#notices-panel .notice-item[data-delivered="1"]').wait_for()
        assert button.locator("b").count() == 0

        def printed() -> Any:
            return next((s for s in stack.printer.slips if "办结通知" in s.text), None)

        slip = wait_until(printed, 20, "the printed notice")
        assert case_ref in slip.text
        assert "准予确认" in slip.text
        assert "经 办 人：王芳" in slip.text  # the clerk signed in handed it over
        assert "3" + "*" * 16 + NUMBER[-1:] in slip.text.replace(" ", "")
        import zxingcpp

        assert any(case_ref in r.text for r in zxingcpp.read_barcodes(slip.png))

        def handed_over() -> bool:
            page.reload()
            return page.locator('#timeline tr[data-step="notice_delivered"]').count() == 1

        wait_until(handed_over, 30, "the handover in the office's timeline", poll=0.5)
        assert "办结通知" in page.locator('#timeline tr[data-step="notice_delivered"]').inner_text()
        shot(page, "handed-over")
        browser.close()
