"""People sign in to the hub in real headless Chromium (SQLite and PostgreSQL): the sign-in
page, the overview behind it, the account page, sign-out; and a page on another origin (a
second local server on another port, the same site as far as cookies go) whose form posts to
a state-changing route with the victim's session cookie is refused for want of the CSRF token.
Set BIANMIN_SIGNIN_SCREENSHOTS=DIR to keep screenshots."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import Account
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings
from provisioning.mosquitto import free_port
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.support.hubserver import serve
from tests.support.signin import make_account, sign_in_page
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
SHOTS = os.environ.get("BIANMIN_SIGNIN_SCREENSHOTS")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def hub(database_url, tmp_path) -> Iterator[tuple[str, Any]]:
    """A production hub (no anonymous reads) served by uvicorn in a thread."""
    create_key_file(tmp_path / "hub_signing_key.pem")
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path,
                           environment="production")  # fmt: skip
    app = create_app(settings)
    with serve(app) as base:
        yield base, app


@pytest.fixture
def attacker(hub) -> Iterator[str]:
    """Another origin: a page whose form posts to the hub (disable an account, sign out)."""
    base, _ = hub

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = "/api/accounts/zhang/disable" if self.path == "/disable" else "/logout"
            body = (
                "<!doctype html><meta charset=utf-8><title>中奖通知</title>"
                f'<form id="f" method="post" action="{base}{target}">'
                '<input type="hidden" name="csrf_token" value="guessed"></form>'
                "<script>document.getElementById('f').submit()</script>"
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_admin_signs_in_sees_the_overview_and_a_cross_site_form_is_refused(hub, attacker):
    base, app = hub
    password = make_account(app.state.engine, "admin-li", Role.ADMIN)
    make_account(app.state.engine, "zhang", Role.VIEWER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20_000)

        # a page behind the sign-in leads there, and back after it
        page.goto(f"{base}/account")
        assert "/login?next=%2Faccount" in page.url
        shot(page, "login")
        page.fill('input[name="name"]', "admin-li")
        page.fill('input[name="password"]', "wrong-password-1")
        page.click("form#signin button[type=submit]")
        assert "账号或密码错误" in page.locator("#signin-error").inner_text()
        page.fill('input[name="password"]', password)
        with page.expect_navigation():
            page.click("form#signin button[type=submit]")
        assert page.url == f"{base}/account"
        assert page.locator("#who").inner_text() == "admin-li"
        assert page.locator("#accounts tr", has_text="zhang").count() == 1
        shot(page, "account")

        # the overview, signed in
        page.goto(f"{base}/")
        assert page.title().startswith("总览")

        # another origin's form, posted with the session cookie: refused, nothing changed
        trap = context.new_page()
        with trap.expect_navigation(url=f"{base}/api/accounts/zhang/disable"):
            trap.goto(f"{attacker}/disable")
        assert "csrf_failed" in trap.content()
        with Session(app.state.engine) as s:
            zhang = s.get(Account, "zhang")
            assert zhang is not None
            assert zhang.disabled is False
        with trap.expect_navigation(url=f"{base}/logout"):
            trap.goto(f"{attacker}/logout")
        assert "csrf_failed" in trap.content()
        page.goto(f"{base}/account")
        assert page.locator("#who").inner_text() == "admin-li"  # still signed in

        # the page's own forms (with the session's token) work: move zhang to a town, disable
        # zhang, then sign out
        row = page.locator("#accounts tr", has_text="zhang")
        row.locator('select[name="area"]').select_option("town:qingshui-zhen")
        with page.expect_navigation():
            row.locator("button", has_text="改范围").click()
        assert "清水镇" in page.locator("#accounts tr", has_text="zhang").inner_text()
        page.on("dialog", lambda dialog: dialog.accept())
        row.locator("button", has_text="停用").click()
        wait_until(lambda: "已停用" in page.locator("#accounts tr", has_text="zhang").inner_text(),
                   10, "zhang disabled")  # fmt: skip
        with Session(app.state.engine) as s:
            zhang = s.get(Account, "zhang")
            assert zhang is not None
            assert zhang.disabled is True
        with page.expect_navigation():
            page.click("header .who button[type=submit]")
        assert page.url.startswith(f"{base}/login")
        page.goto(f"{base}/account")
        assert "/login" in page.url
        browser.close()


def test_sign_in_page_helper_signs_a_playwright_page_in(hub):
    base, app = hub
    password = make_account(app.state.engine, "shen", Role.AUDITOR)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        sign_in_page(page, base, "shen", password)
        page.goto(f"{base}/audit")
        assert page.locator("#audit tr", has_text="account/shen").count() >= 1
        shot(page, "audit")
        browser.close()
