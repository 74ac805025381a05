"""The catalog pages in real headless Chromium against a real hub (uvicorn, SQLite): one
operator imports the county's edited workbook through the page and sees the diff, cannot
approve their own draft, edits a matter in the form (a refused field is named in Chinese);
a second operator approves it and the page shows it published and rolling out.

Accounts sign in with API tokens in a header (the session sign-in is another branch's work);
each browser context is one account. Set BIANMIN_CATALOG_SCREENSHOTS=DIR to keep the
screenshots (docs/hub/catalog.png and catalog-draft.png come from here)."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from openpyxl import load_workbook
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings
from provisioning.mosquitto import free_port
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
SHOTS = os.environ.get("BIANMIN_CATALOG_SCREENSHOTS")


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    root = tmp_path_factory.mktemp("catalog")
    settings = HubSettings(
        database_url=f"sqlite:///{root / 'hub.sqlite3'}", broker_url=None, data_dir=root
    )
    app = create_app(settings)
    with Session(app.state.engine) as s:
        tokens = {n: add_account(s, name=n, role=Role.OPERATOR) for n in ("wang", "li")}
        s.commit()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 20, "the hub to start")
    yield f"http://127.0.0.1:{port}", tokens
    server.should_exit = True
    thread.join(10)


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=False)


def test_an_operator_imports_the_workbook_and_a_second_one_approves_it_in_chromium(hub, tmp_path):
    base, tokens = hub
    exported = httpx.get(
        f"{base}/api/catalog/export.xlsx", headers={"Authorization": f"Bearer {tokens['wang']}"}
    ).content
    wb = load_workbook(io.BytesIO(exported))
    wb["事项"]["H6"].value = 3  # BIR-005 promised in 3 working days instead of 2
    wb["事项"]["B7"].value = "出生登记（新名称）"  # BIR-006 renamed
    edited = tmp_path / "事项清单.xlsx"
    wb.save(edited)
    broken = load_workbook(io.BytesIO(exported))
    broken["材料"]["C4"].value = "可能"
    bad = tmp_path / "有错误的清单.xlsx"
    broken.save(bad)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)

        def account(name: str):
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="zh-CN",
                extra_http_headers={"Authorization": f"Bearer {tokens[name]}"},
            )  # fmt: skip
            page = context.new_page()
            page.on("dialog", lambda d: d.accept())
            return page

        wang = account("wang")
        wang.goto(f"{base}/catalog")
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

        li = account("li")
        li.goto(f"{base}/catalog")
        shot(li, "catalog.png")
        li.goto(draft_url)
        li.click("#approve-form button[type=submit]")
        wait_until(lambda: li.locator("#draft-status").inner_text() == "已发布并下发", 15,
                   "the draft published")  # fmt: skip
        assert li.locator("#rollout-link").is_visible()
        shot(li, "catalog-draft.png")
        li.goto(f"{base}/catalog")
        assert "第2版" in li.locator(".cards").inner_text()
        li.goto(f"{base}/catalog/matters/BIR-005")
        assert "3个工作日" in li.locator("main").inner_text()
        browser.close()
