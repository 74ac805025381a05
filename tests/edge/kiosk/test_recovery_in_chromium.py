"""A clerk's ordinary mistakes and an applicant's ordinary refusals, in headless Chromium on a
unit of its own without face verification (a real `edge run --no-face`, simulated devices, a
signed configuration on disk, slips to a virtual printer in this process): fix the ID number,
back from the materials to the matter, the summaries before 不予受理 and 容缺受理, cancel with a
reason, the 容缺 terms on the signature screen and an applicant who will not sign. At 1280×800
and 1024×600 the decision bar stays in view and every target is at least 64 px."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.mosquitto import free_port, wait_for_port
from simulators.printer import VirtualPrinter
from tests.edge.kiosk.pages import DEFERRED, RESIDENT, SHOTS, choose, new_page, screen, tick
from tests.edge.kiosk.pages import type_pin as _type_pin
from tests.edge.window.offline_config import CLERK, CLERK_PIN, seed_unit
from tests.support.processes import BIANMIN, stop
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
UNIT = "t162"
SIZES = ((1280, 800), (1024, 600))
# every visible button smaller than 64 px either way, and whether the bar is fully in view
MEASURE = """() => {
  const small = [...document.querySelectorAll("button")].filter((b) => b.offsetParent !== null)
    .map((b) => [b.id || b.textContent.trim(), b.getBoundingClientRect()])
    .filter(([, r]) => r.height < 64 || r.width < 64).map(([n, r]) => [n, r.width, r.height]);
  const bars = [...document.querySelectorAll(".actions.bar")]
    .filter((b) => b.offsetParent !== null);
  const bar = bars[bars.length - 1];
  const r = bar ? bar.getBoundingClientRect() : null;
  return { small, bar: !!bar, inView: !r || (r.top >= 0 && r.bottom <= window.innerHeight + 1) };
}"""


@pytest.fixture
def unit(broker, tmp_path: Path) -> Iterator[tuple[str, VirtualPrinter, Path]]:
    key = seed_unit(tmp_path / UNIT, UNIT)
    port = free_port()
    printer = VirtualPrinter(dots=576, out_dir=tmp_path / "slips").start()
    with open(tmp_path / "unit.log", "ab") as log:
        proc = subprocess.Popen(
            [BIANMIN, "edge", "run", "--unit", UNIT, "--broker", str(broker.url),
             "--data-dir", str(tmp_path / UNIT), "--simulated-devices", "--rate", "0",
             "--no-face", "--hub-key", key, "--kiosk-port", str(port),
             "--printer", f"tcp:127.0.0.1:{printer.port}",
             "--window-name", "清水镇南岭村便民服务站"],
            env={**os.environ, "BIANMIN_UNIT_PASSWORD": broker.creds.password_for(UNIT)},
            stdout=log, stderr=log,
        )  # fmt: skip
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        yield f"http://127.0.0.1:{port}/", printer, tmp_path / UNIT
    finally:
        stop(proc)
        printer.stop()


def look(page, name: str) -> None:
    """At both sizes: every target at least 64 px, the decision bar in view; a screenshot of
    each in BIANMIN_KIOSK_SCREENSHOTS (docs/kiosk/ for the docs)."""
    for w, h in SIZES:
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(150)
        m = page.evaluate(MEASURE)
        assert m["small"] == [], f"{name} at {w}x{h}: targets under 64 px {m['small']}"
        assert m["inView"], f"{name} at {w}x{h}: the decision bar is out of view"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{w}x{h}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


def enter(page, number: str) -> None:
    for ch in number:
        page.locator(f'#keypad button[data-key="{ch}"]').click()
    page.locator("#btn-id-ok").click()


def states(data_dir: Path) -> list[str]:
    """The case transitions the unit committed, oldest first (no hub acks them here, so the
    outbox keeps them all)."""
    with sqlite3.connect(next(data_dir.glob("outbox*.sqlite3"))) as conn:
        rows = conn.execute("SELECT payload FROM events ORDER BY seq").fetchall()
    docs = [json.loads(p) for (p,) in rows]
    return [d["body"]["state"] for d in docs if d.get("kind") == "case.transition"]


def test_a_clerk_fixes_the_number_goes_back_and_cancels_with_a_reason_without_face(unit, browser):
    url, _printer, data_dir = unit
    page = new_page(browser, url)
    try:
        screen(page, "signin")
        page.locator(f'#clerk-choices button[data-clerk="{CLERK}"]').click()
        _type_pin(page, CLERK_PIN)
        page.locator("#btn-sign-in").click()
        page.locator("#clerk-name", has_text="王芳").wait_for()
        assert page.locator("#window-name").inner_text() == "清水镇南岭村便民服务站"
        page.locator("#btn-open").click()
        screen(page, "consent")
        # no face verification on this unit: nothing to consent to, and the bar says so
        page.locator("#no-face").wait_for()
        assert page.locator("#btn-consent-face").count() == 0
        camera = page.locator('#devices [data-device="camera"]')
        assert camera.get_attribute("data-state") in ("absent", "disabled")
        assert "正常" not in camera.inner_text()
        look(page, "recovery-consent-no-face")
        page.locator("#btn-consent-card").click()

        enter(page, DEFERRED)  # the wrong applicant's number
        page.locator("#btn-card-ok").wait_for()
        look(page, "recovery-fix-number")
        page.locator("#btn-edit-number").click()
        page.locator("#keypad").wait_for()
        assert page.locator("#id-number").inner_text().strip() == ""
        enter(page, RESIDENT)
        page.locator("#btn-card-ok").click()
        screen(page, "matter")
        assert "null" not in page.locator("body").inner_text()
        look(page, "recovery-matter")

        choose(page, "法律服务", "LAW-002")
        look(page, "recovery-materials")  # a long checklist: the decision bar stays in view
        assert "尚缺" in page.locator("#missing-summary").inner_text()
        page.locator("#btn-back").click()  # the wrong matter
        screen(page, "matter")
        choose(page, "法律服务", "LAW-002")
        page.locator("#btn-decline").click()
        page.locator("#dialog-decline").wait_for()
        assert "调解申请书" in page.locator("#decline-missing").inner_text()
        look(page, "recovery-decline-summary")
        page.locator("#btn-dialog-no").click()  # not yet: nothing recorded
        assert page.locator("#dialog-decline").count() == 0
        screen(page, "materials")

        page.locator("#btn-cancel").click()
        ok = page.locator("#dialog-cancel #btn-dialog-ok")
        assert ok.is_disabled()  # a reason first
        page.locator('#dialog-cancel button[data-reason="申请人临时有事"]').click()
        look(page, "recovery-cancel-reason")
        ok.click()
        screen(page, "done")
        assert "已取消" in page.locator("main").inner_text()
    finally:
        page.context.close()
    committed = wait_until(
        lambda: (s := states(data_dir)) and s[-1] == "closed" and s, 10, "the cancel committed"
    )
    assert committed == [
        "opened",
        "consented",
        "identified",
        "matter_selected",
        "identified",
        "matter_selected",
        "closed",
    ]  # a step back is a transition of its own; the wrong number was never recorded


def test_an_applicant_who_will_not_sign_the_deficiency_terms_takes_home_the_notice(unit, browser):
    url, printer, data_dir = unit
    page = new_page(browser, url)
    try:
        screen(page, "signin")
        page.locator(f'#clerk-choices button[data-clerk="{CLERK}"]').click()
        _type_pin(page, CLERK_PIN)
        page.locator("#btn-sign-in").click()
        page.locator("#btn-open").click()
        page.locator("#btn-consent-card").click()
        enter(page, DEFERRED)
        page.locator("#btn-card-ok").click()
        choose(page, "法律服务", "LAW-002")
        tick(page, "调解申请书")
        tick(page, "居民身份证复印件", "shown")
        page.locator("#btn-defer").click()
        assert "纠纷相关证据" in page.locator("#defer-owed").inner_text()
        look(page, "recovery-defer-summary")
        page.locator("#dialog-defer #btn-dialog-ok").click()
        screen(page, "sign")
        # what is owed and by when, before the applicant signs the commitment
        owed = page.locator("#sign-owed")
        assert "纠纷相关证据" in owed.inner_text()
        assert page.locator("#sign-supply-by").inner_text().startswith("20")
        look(page, "recovery-sign-deficiency")
        page.locator("#btn-refuse-sign").click()
        page.locator('#dialog-refuse button[data-reason="申请人不同意承诺事项"]').click()
        look(page, "recovery-refuse-sign")
        page.locator("#dialog-refuse #btn-dialog-ok").click()
        screen(page, "done")
        assert "一次性告知书" in page.locator("main").inner_text()
        case_ref = page.locator("dl.kv dd").first.inner_text()
    finally:
        page.context.close()
    slip = wait_until(
        lambda: next((s for s in printer.slips if case_ref in "\n".join(s.lines)), None),
        10, "the 一次性告知书",
    )  # fmt: skip
    assert slip is not None
    text = "".join(slip.lines).replace(" ", "")
    assert "一次性告知书" in text
    assert "纠纷相关证据" in text
    assert "申请人未签名确认（申请人不同意承诺事项）" in text
    assert "清水镇南岭村便民服务站" in text
    assert "王芳" in text
    s = states(data_dir)
    assert s[s.index("deficiency_accepted") + 1] == "not_accepted"
