"""One window for the browser tests of this package: Mosquitto, a hub, a unit with the real
face models and a simulated camera (package scope: the stack takes tens of seconds to start,
so the modules share it and its morning of cases), and a Chromium page on its kiosk for each
module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import start_broker
from tests.edge.face.conftest import model_dir, photo_dir
from tests.edge.kiosk.pages import BLACKLISTED, RESIDENT, new_page
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS, UNIT, Stack, ref, start_stack

__all__ = ["browser", "model_dir", "page", "photo_dir", "stack"]


@pytest.fixture(scope="package")
def stack(tmp_path_factory, photo_dir, model_dir) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    root = tmp_path_factory.mktemp("window")
    broker = start_broker(root / "mosquitto", [UNIT])
    s = start_stack(
        root, broker, photo_dir / "obama2.jpg",
        registry={ref(RESIDENT): ["户口簿复印件"]}, blacklisted=[ref(BLACKLISTED)],
    )  # fmt: skip
    try:
        yield s
    finally:
        s.close()
        broker.process.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium for one module. Playwright's sync API holds an event loop on this
    thread while it runs, so it must be gone before a module that calls asyncio.run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(stack, browser):
    page = new_page(browser, stack.kiosk_url)
    # the hub's configuration (with the village's roster) has arrived: sign-in is offered, or
    # a clerk another module signed in is still on duty
    page.locator('main[data-screen="signin"], #btn-open').first.wait_for(timeout=60_000)
    yield page
    page.context.close()
