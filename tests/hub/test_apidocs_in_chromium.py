"""/docs in Debian's Chromium at 1366x768, on SQLite and PostgreSQL, in production mode: a
viewer signed in at /login sees Swagger UI 5 draw the hub's OpenAPI 3.1 document (the
operations, GET /api/units among them, and no "Unable to render this definition"), with no
CSP violation and no script error; before signing in the browser is sent to /login. Set
BIANMIN_HUB_SCREENSHOTS=DIR to keep the screenshot (docs/hub/api-docs.png is one)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.accounts.roles import Role
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.support.hubserver import serve
from tests.support.signin import make_account, sign_in_page

pytestmark = pytest.mark.integration
SHOTS = os.environ.get("BIANMIN_HUB_SCREENSHOTS")
# every CSP violation and script error the page causes, recorded before any of its scripts run
WATCH = """
window.__problems = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__problems.push("csp " + e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", (e) => window.__problems.push("error " + e.message));
"""


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The hub in production mode served by uvicorn in a thread, and a viewer's password."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, environment="production"
    )
    create_key_file(settings.signing_key_path)
    app = create_app(settings)
    password = make_account(app.state.engine, "kezhang", Role.VIEWER)
    with serve(app) as base:
        yield base, password


def test_a_signed_in_viewer_sees_swagger_ui_draw_the_api_under_the_csp(hub):
    from playwright.sync_api import sync_playwright

    url, password = hub
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.add_init_script(WATCH)
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            failed: list[str] = []
            page.on(
                "response",
                lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )

            page.goto(f"{url}/docs")  # no session: the browser is sent to sign in first
            assert "/login" in page.url

            sign_in_page(page, url, "kezhang", password)
            console.clear()  # what /login and the overview said is not this page's
            failed.clear()
            page.goto(f"{url}/docs")
            opblock = page.locator(".opblock.opblock-get", has_text="/api/units").first
            opblock.wait_for(state="visible")
            assert page.locator(".opblock").count() > 20
            assert page.get_by_text("Unable to render").count() == 0
            assert page.locator("#swagger-missing").count() == 0
            assert "3.1" in page.locator(".info .version-stamp, .info").first.inner_text()

            # an operation opens and shows its parameters (the document was really read)
            opblock.locator(".opblock-summary").first.click()
            page.locator(".opblock.is-open .parameters-container").first.wait_for(state="visible")
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                opblock.locator(".opblock-summary").first.click()  # closed again for the shot
                page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
                page.screenshot(path=str(Path(SHOTS) / "api-docs.png"))

            assert page.evaluate("window.__problems") == []
            assert failed == [], failed  # every file the page asks for is served
            assert not [m for m in console if "Content Security Policy" in m], console
            assert not [m for m in console if m.startswith("error")], console
        finally:
            browser.close()
