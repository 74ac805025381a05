"""Wrong PINs lock sign-in, in real headless Chromium on a unit of its own (a real `edge run`
with simulated devices and a signed configuration on disk): locking one kiosk for minutes must
not hold up the other browser tests. The lock lifting after its time, and surviving a
restart, are shown with a clock in tests/edge/window/test_sign_in.py."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from provisioning.mosquitto import free_port, wait_for_port
from tests.edge.kiosk.pages import new_page, screen, shot, type_pin
from tests.edge.window.offline_config import CLERK, CLERK_PIN, roster, seed_unit
from tests.support.processes import BIANMIN, stop

pytestmark = pytest.mark.integration
UNIT = "t161"


@pytest.fixture
def kiosk(broker, tmp_path: Path) -> Iterator[str]:
    key = seed_unit(tmp_path / UNIT, UNIT, clerks=roster(max_pin_attempts=3, lockout_s=600))
    port = free_port()
    with open(tmp_path / "unit.log", "ab") as log:
        unit = subprocess.Popen(
            [BIANMIN, "edge", "run", "--unit", UNIT, "--broker", str(broker.url),
             "--data-dir", str(tmp_path / UNIT), "--simulated-devices", "--rate", "0",
             "--no-face", "--hub-key", key, "--kiosk-port", str(port)],
            env={**os.environ, "BIANMIN_UNIT_PASSWORD": broker.creds.password_for(UNIT)},
            stdout=log, stderr=log,
        )  # fmt: skip
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(unit)


def test_three_wrong_pins_lock_sign_in_even_for_the_right_pin(kiosk, browser):
    page = new_page(browser, kiosk)
    try:
        screen(page, "signin")
        page.locator(f'#clerk-choices button[data-clerk="{CLERK}"]').click()
        for left in ("还可尝试2次", "还可尝试1次", "已锁定，请10分钟后再试"):
            type_pin(page, "963852")
            page.locator("#btn-sign-in").click()
            page.locator("#message", has_text=left).wait_for()
        page.locator("#signin-locked", has_text="登录已锁定").wait_for()
        assert page.locator("#btn-sign-in").is_disabled()
        shot(page, "signin-locked")
    finally:
        page.context.close()
    refused = httpx.post(
        f"{kiosk}/api/act/sign_in", json={"clerk": CLERK, "pin": CLERK_PIN},
        headers={"x-kiosk": "1"}, timeout=10,
    )  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "sign_in_refused"
    opened = httpx.post(f"{kiosk}/api/act/open", json={}, headers={"x-kiosk": "1"}, timeout=10)
    assert opened.json()["error"]["code"] == "sign_in_required"
