"""The county's fleet pages in Debian's Chromium at an office screen's 1366x768, on SQLite and
PostgreSQL: an operator reads the overview, finds a window by town on /fleet, opens it, acknowledges
its printer alert on /alerts, pauses a rollout on its page and starts another from /rollouts.

Set BIANMIN_FLEET_SCREENSHOTS=DIR to keep a screenshot of each page (docs/hub/ has them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.accounts.roles import Role
from hub.alerts.store import ALERTS
from hub.app import create_app
from hub.audit import AUDIT
from hub.settings import HubSettings
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.support.fleet import OFFLINE, PAPER_OUT, Morning, county_morning
from tests.support.hubserver import serve
from tests.support.signin import make_account, sign_in_page

pytestmark = pytest.mark.integration
SCREEN: Any = {"width": 1366, "height": 768}
SHOTS = os.environ.get("BIANMIN_FLEET_SCREENSHOTS")


@dataclass
class Hub:
    url: str
    app: Any
    password: str  # the operator's
    morning: Morning


@pytest.fixture
def hub(database_url, tmp_path) -> Iterator[Hub]:
    """`create_app` served by uvicorn in a thread of this process, with the county's morning."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    app = create_app(settings)
    morning = county_morning(app.state.engine)
    password = make_account(app.state.engine, "ops", Role.OPERATOR)
    with serve(app) as base:
        yield Hub(base, app, password, morning)


@pytest.fixture
def page(hub) -> Iterator[Any]:
    """An operator's browser page, signed in at /login: the forms send the session's CSRF
    token (hub.js reads it from the layout)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(
                viewport=SCREEN, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())  # the forms' 确定…？
            sign_in_page(page, hub.url, "ops", hub.password)
            yield page
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    """Keep the page as it looks at 1366x768 (the first screen, as staff first see it)."""
    if SHOTS:
        from PIL import Image

        path = Path(SHOTS) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
        # 256 colours: the pages are flat colour and text, and the PNGs stay small in the repo
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(256)
        small.save(path, optimize=True)


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_operator_runs_the_fleet_from_the_pages(hub, page):
    page.goto(hub.url + "/")
    assert page.locator("#who").inner_text() == "ops"
    assert page.locator("#total-units").inner_text() == "76"
    assert page.locator("#offline-units").inner_text() == "1"
    assert "打印机缺纸" in page.locator("#open-alerts").inner_text()
    assert no_horizontal_scroll(page)
    shot(page, "overview")

    # the fleet, town by town: 清水镇's windows, the one out of paper among them
    page.goto(hub.url + "/fleet")
    page.select_option("select[name=town]", "qingshui-zhen")
    page.select_option("select[name=status]", "problem")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**/fleet?town=qingshui-zhen&status=problem")
    problems = page.locator("#units tr[data-unit]")
    assert sorted(problems.evaluate_all("rows => rows.map(r => r.dataset.unit)")) == [
        PAPER_OUT,
        "liutang-cun",
    ]
    page.goto(hub.url + "/fleet")
    assert no_horizontal_scroll(page)
    shot(page, "fleet")

    # one window: its printer, its alert, the rollout it was in, its events
    page.goto(hub.url + "/fleet")
    page.locator(f'#units tr[data-unit="{PAPER_OUT}"] a').first.click()
    page.wait_for_url(f"**/fleet/{PAPER_OUT}")
    assert "缺纸" in page.locator('#devices tr[data-device="printer"]').inner_text()
    assert "打印机缺纸" in page.locator("#unit-alerts").inner_text()
    assert page.locator(f'#config-history tr[data-rollout="{hub.morning.rollout_id}"]').count() == 1
    assert page.locator("#events tr[data-seq]").count() == 3
    assert no_horizontal_scroll(page)
    shot(page, "unit")

    # the alert, acknowledged from the page: its repeats stop, the audit log has it
    page.goto(hub.url + "/alerts")
    row = page.locator('#alerts tr[data-kind="paper_out"]')
    row.locator("button.ack").click()
    page.wait_for_load_state("load")
    row = page.locator('#alerts tr[data-kind="paper_out"]')
    row.locator("td.acknowledged", has_text="ops").wait_for()
    assert row.locator("button.ack").count() == 0
    assert no_horizontal_scroll(page)
    shot(page, "alerts")
    with hub.app.state.engine.connect() as conn:
        acked = conn.execute(select(ALERTS).where(ALERTS.c.kind == "paper_out")).one()
        audited = conn.execute(select(AUDIT.c.action, AUDIT.c.target)).all()
    assert acked.acknowledged_by == "ops"
    assert ("alert.acknowledge", f"alert/{acked.id}") in audited

    # the rollout: its failure with the unit's reason; paused from its page
    page.goto(hub.url + "/rollouts")
    assert no_horizontal_scroll(page)
    shot(page, "rollouts")
    page.locator(f'#rollouts tr[data-rollout="{hub.morning.rollout_id}"] a').click()
    assert "签名校验失败" in page.locator("#failures").inner_text()
    page.locator("#pause").click()
    page.locator('#rollout-state[data-state="paused"]').wait_for()
    assert "ops 手动暂停" in page.locator("#paused-reason").inner_text()
    assert page.locator("#resume").count() == 1
    with hub.app.state.engine.connect() as conn:
        audited = conn.execute(select(AUDIT.c.action, AUDIT.c.actor, AUDIT.c.target)).all()
    assert ("rollout.pause", "ops", f"rollout/{hub.morning.rollout_id}") in audited
    assert no_horizontal_scroll(page)
    shot(page, "rollout")

    # and a new one, to one window of 石桥镇, from the form
    page.goto(hub.url + "/rollouts")
    page.select_option("#new-rollout select[name=scope]", "units")
    page.fill("#new-rollout input[name=units]", OFFLINE)
    page.fill("#new-rollout input[name=note]", "新民村单独下发")
    page.locator("#new-rollout button[type=submit]").click()
    page.wait_for_url("**/rollouts/2")
    assert page.locator(f'#rollout-units tr[data-unit="{OFFLINE}"]').count() == 1
    assert "新民村单独下发" in page.content()
