"""The case pages in Debian's headless Chromium at an office screen's 1366x768, over the real
app served by uvicorn: a case searched by its number, opened, its timeline read; the CSV
export downloaded and its rows checked; a follow-up step taken through its form (hub.js).
Set BIANMIN_CASE_SCREENSHOTS=DIR to keep a screenshot of every case page (docs/hub/)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.accounts.roles import Role
from hub.app import create_app
from hub.settings import HubSettings
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.hub.cases.pages.seeded import TODAY, Seeded, seed, seed_more
from tests.support.hubserver import serve
from tests.support.signin import make_account, sign_in_page

pytestmark = pytest.mark.integration
SCREEN: Any = {"width": 1366, "height": 768}
SHOTS = os.environ.get("BIANMIN_CASE_SCREENSHOTS")
LATER = TODAY + timedelta(days=11)  # Monday 2026-12-07


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, str, Seeded, Any]]:
    """(the hub's URL, an operator's password, the seeded cases, the app), SQLite."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}", broker_url=None, data_dir=tmp_path
    )
    app = create_app(settings)
    app.state.clock = lambda: TODAY
    seeded = seed(app.state.engine)
    seed_more(app.state.engine)
    password = make_account(app.state.engine, "county-ops", Role.OPERATOR)
    with serve(app) as base:
        yield base, password, seeded, app


def _shot(page: Any, name: str, *, whole: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=whole)


def test_an_operator_finds_a_case_reads_its_timeline_and_exports_the_search(hub, tmp_path):
    from playwright.sync_api import sync_playwright

    url, password, seeded, app = hub
    ref = seeded.refs[seeded.owing]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport=SCREEN, locale="zh-CN", accept_downloads=True)
            page = context.new_page()
            sign_in_page(page, url, "county-ops", password)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))  # the pages' script
            page.goto(f"{url}/cases")
            assert page.locator("#results tbody tr").count() == 17
            _shot(page, "cases")
            page.fill("#f-ref", ref.rsplit("-", 1)[1])  # the tail printed on the slip
            page.click("#do-search")
            page.wait_for_url("**/cases?ref=*")
            rows = page.locator("#results tbody tr")
            assert rows.count() == 1
            page.click(f"text={ref}")
            page.wait_for_url(f"**/cases/{seeded.owing}")
            assert page.locator("#case-ref").inner_text() == ref
            steps = page.locator("#timeline tbody tr").all_inner_texts()
            assert "开始办件" in steps[0]
            assert "容缺受理" in " ".join(steps)
            assert page.locator("#owed-now").inner_text() != "无"
            _shot(page, "case", whole=True)  # down to the timeline

            page.goto(f"{url}/cases?deferred=true")
            with page.expect_download() as download:
                page.click("#csv")
            body = Path(download.value.path()).read_bytes()
            rows_csv = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
            shown = page.locator("#results tbody tr").count()
            assert len(rows_csv) == shown > 0
            assert {r["deficiency"] for r in rows_csv} <= {"owed", "lapsed", "supplied"}
            assert ref in {r["case_ref"] for r in rows_csv}

            for path, name in (("/cases/deficient", "deficient"),
                               ("/cases/forwarded", "forwarded"),
                               ("/cases/feedback", "feedback"),
                               ("/cases/blacklist?show=proposals", "blacklist")):  # fmt: skip
                page.goto(url + path)
                assert page.locator("#results").is_visible()
                _shot(page, name)

            # a week on, limits run out: the due list fills
            app.state.clock = lambda: LATER
            sign_in_page(page, url, "county-ops", password)  # the session ran out meanwhile
            page.goto(f"{url}/cases/due")
            assert page.locator("#results tbody tr").count() > 0
            assert "超期" in page.locator("#results").inner_text()
            _shot(page, "due")
            app.state.clock = lambda: TODAY
            sign_in_page(page, url, "county-ops", password)

            # a blacklist proposal decided through its form (its case was supplied after all)
            page.goto(f"{url}/cases/blacklist?show=proposals")
            row = page.locator("tr[data-state=proposed]").first
            proposal = row.get_attribute("data-proposal")
            row.locator("summary", has_text="不予列入").click()
            row.locator("form[id^=reject-] input[name=note]").fill("申请人已补齐材料")
            row.locator("form[id^=reject-] button").click()
            page.locator(f"tr[data-proposal='{proposal}'][data-state=rejected]").wait_for()
            page.goto(f"{url}/cases/blacklist?show=history")
            assert "申请人已补齐材料" in page.locator("#results").inner_text()

            # a follow-up step through its form: hub.js posts it to the API and reloads
            page.goto(f"{url}/cases/followups")
            _shot(page, "followups")
            row = page.locator("tr[data-status=open]").first
            followup = row.get_attribute("data-followup")
            row.locator("summary", has_text="核实").click()
            row.locator("form[id$=-verify] input[name=note]").fill("已电话联系申请人核实")
            row.locator("form[id$=-verify] button").click()
            page.locator(f"tr[data-followup='{followup}'][data-status=verified]").wait_for()
            assert not errors, errors
        finally:
            browser.close()
