"""The catalog pages in real headless Chromium against a real production hub (uvicorn,
SQLite; no anonymous reads): two county operators sign in through /login, each in their own
browser context. One imports the county's edited workbook through the page's multipart form
(the session's csrf_token field) and sees the diff, cannot approve their own draft, edits a
matter in the form (a refused field is named in Chinese); the second approves it and the page
shows it published and rolling out; a town's operator is offered none of these forms. Every
change travels on the session cookie with the CSRF token; no API token is involved.

Set BIANMIN_CATALOG_SCREENSHOTS=DIR to keep the screenshots (docs/hub/catalog.png and
catalog-draft.png come from here)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hub.accounts.area import Area
from hub.accounts.roles import Role
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.support.hubserver import serve
from tests.support.signin import make_account, sign_in_page
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
SHOTS = os.environ.get("BIANMIN_CATALOG_SCREENSHOTS")


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    """The hub in production mode (a page opened without signing in goes to /login) with two
    county operators, wang and li, and a town's operator, zhou; yields its address and their
    passwords."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    root = tmp_path_factory.mktemp("catalog")
    create_key_file(root / "hub_signing_key.pem")
    settings = HubSettings(
        database_url=f"sqlite:///{root / 'hub.sqlite3'}",
        broker_url=None,
        data_dir=root,
        environment="production",
    )
    app = create_app(settings)
    passwords = {n: make_account(app.state.engine, n, Role.OPERATOR) for n in ("wang", "li")}
    town = Area(town=app.state.registry.divisions[0].code)
    passwords["zhou"] = make_account(app.state.engine, "zhou", Role.OPERATOR, area=town)
    with serve(app) as base:
        yield base, passwords


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=False)


def test_an_operator_imports_the_workbook_and_a_second_one_approves_it_in_chromium(hub, tmp_path):
    base, passwords = hub
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)

        def account(name: str) -> Any:
            """A browser context of its own (its own cookies), signed in as ``name``."""
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = context.new_page()
            page.on("dialog", lambda d: d.accept())
            sign_in_page(page, base, name, passwords[name])
            return page

        wang = account("wang")
        # the export link, fetched with the browser context's session cookie
        download = wang.request.get(f"{base}/api/catalog/export.xlsx")
        assert download.ok, download.status
        exported = download.body()
        wb = load_workbook(io.BytesIO(exported))
        wb["事项"]["H6"].value = 3  # BIR-005 promised in 3 working days instead of 2
        wb["事项"]["B7"].value = "出生登记（新名称）"  # BIR-006 renamed
        edited = tmp_path / "事项清单.xlsx"
        wb.save(edited)
        broken = load_workbook(io.BytesIO(exported))
        broken["材料"]["C4"].value = "可能"
        bad = tmp_path / "有错误的清单.xlsx"
        broken.save(bad)

        wang.goto(f"{base}/catalog")
        assert wang.locator("#who").inner_text() == "wang"  # the header names who is signed in
        assert wang.locator("#matters tbody tr").count() == 50
        assert "共139项" in wang.locator(".pager").last.inner_text()

        # a workbook with a mistake: the page names the sheet, row and column
        wang.set_input_files("#import-form input[type=file]", str(bad))
        wang.click("#import-form button[type=submit]")
        errors = wang.locator("#import-errors tbody tr")
        assert errors.count() == 1
        assert errors.first.inner_text().split("\t") == [
            "材料",
            "4",
            "必需",
            "C4",
            "应填“是”或“否”",
        ]
        shot(wang, "catalog-import-errors.png")

        wang.goto(f"{base}/catalog")
        wang.set_input_files("#import-form input[type=file]", str(edited))
        wang.click("#import-form button[type=submit]")
        wang.wait_for_url("**/catalog/drafts/*")
        diff = wang.locator("#diff").inner_text()
        assert "wang" in wang.locator(".kv").inner_text()  # the session's account is the author
        for shown in ("承诺时限", "2个工作日", "3个工作日", "出生登记（新名称）"):
            assert shown in diff

        # the author's own approval is refused by the hub
        wang.click("#approve-form button[type=submit]")
        wait_until(lambda: wang.locator("#message").is_visible(), 10, "the refusal")
        assert "另一" in wang.locator("#message").inner_text() or "another operator" in (
            wang.locator("#message").inner_text()
        )
        assert wang.locator("#draft-status").inner_text() == "待审核"
        draft_url = wang.url

        # the author edits a matter: a refused field is named, a good edit lands in the diff
        wang.goto(f"{draft_url}/edit?code=AGR-001")
        wang.fill("[data-field=promised_days]", "300")
        wang.click("#matter-form button[type=submit]")
        wait_until(lambda: wang.locator("#form-errors").is_visible(), 10, "the field errors")
        assert "承诺时限（工作日）：不能大于250" in wang.locator("#form-errors").inner_text()
        shot(wang, "catalog-edit.png")
        wang.fill("[data-field=promised_days]", "6")
        wang.click("#matter-form button[type=submit]")
        wang.wait_for_url(draft_url)
        assert "AGR-001" in wang.locator("#diff").inner_text()

        # a town's operator reads the draft but is offered no import, approval or edit
        zhou = account("zhou")
        zhou.goto(f"{base}/catalog")
        assert zhou.locator("#import-form").count() == 0
        assert zhou.locator("#import-not-allowed").is_visible()
        shot(zhou, "catalog-town.png")
        zhou.goto(draft_url)
        assert zhou.locator("#approve-form, #reject-form, a[href*='/edit?']").count() == 0

        li = account("li")
        li.goto(f"{base}/catalog")
        assert li.locator("#who").inner_text() == "li"
        shot(li, "catalog.png")
        li.goto(draft_url)
        li.click("#approve-form button[type=submit]")
        wait_until(lambda: li.locator("#draft-status").inner_text() == "已发布并下发", 15,
                   "the draft published")  # fmt: skip
        assert li.locator("#rollout-link").is_visible()
        assert "审核人li" in li.locator(".kv").inner_text().replace("\n", "")
        shot(li, "catalog-draft.png")
        li.goto(f"{base}/catalog")
        assert "第2版" in li.locator(".cards").inner_text()
        li.goto(f"{base}/catalog/matters/BIR-005")
        assert "3个工作日" in li.locator("main").inner_text()
        browser.close()
