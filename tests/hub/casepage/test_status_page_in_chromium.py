"""The slip's QR page in Debian's Chromium at a phone's size, with JavaScript off (the page
needs none): a resident reads where their case stands and what is still owed, and leaves
feedback through the form, which reaches the hub's feedback table. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.app import create_app
from hub.feedback.tables import FEEDBACK
from hub.settings import HubSettings
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.support.deficiency import TOKEN, seed_case
from tests.support.hubserver import serve

pytestmark = pytest.mark.integration
PHONE: Any = {"width": 390, "height": 844}


@pytest.fixture
def hub(database_url, tmp_path) -> Iterator[tuple[str, Any]]:
    """`create_app` served by uvicorn in a thread of this process."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    app = create_app(settings)
    app.state.clock = lambda: datetime(2026, 11, 26, 4, tzinfo=UTC)
    with serve(app) as base:
        yield base, app


def test_a_resident_reads_the_case_on_a_phone_and_leaves_feedback_without_javascript(hub):
    from playwright.sync_api import sync_playwright

    url, app = hub
    case = seed_case(app.state.engine)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                java_script_enabled=False, locale="zh-CN",
            )  # fmt: skip
            page = context.new_page()
            page.goto(f"{url}/c/{TOKEN}")
            assert "已报送" in page.locator("#status").inner_text()
            assert page.locator("#owed li").all_inner_texts() == case.owed
            assert "补齐期限" in page.locator("#deficiency").inner_text()
            # fits a phone: nothing wider than the screen, text large enough to read
            width = page.evaluate("document.documentElement.scrollWidth")  # works without JS
            assert width <= PHONE["width"]
            size = page.locator("#status").evaluate("e => getComputedStyle(e).fontSize")
            assert float(size.removesuffix("px")) >= 18
            page.select_option("#topic", "speed")
            page.fill("#text", "希望加快审批")
            page.locator("#send").click()
            page.locator("#thanks").wait_for()
            assert page.url.endswith(f"/c/{TOKEN}?sent=1")
            page.goto(f"{url}/c/not-a-token")
            assert "未找到该办件" in page.locator("#missing").inner_text()
        finally:
            browser.close()
    with app.state.engine.connect() as conn:
        (row,) = conn.execute(select(FEEDBACK)).all()
    assert (row.topic, row.text, row.case_id) == ("speed", "希望加快审批", case.case_id)
