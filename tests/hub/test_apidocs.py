"""The API's document and its interactive page come from the hub itself (Swagger UI 5 from
npm, started by our own script under the pages' CSP) and need a viewer."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings
from hub.web import vendor
from tests.hub.window.helpers import session
from tests.support.signin import make_account, sign_in_client


def _client(database_url, tmp_path, environment):
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, environment=environment
    )
    if environment == "production":
        from hub.keys import create_key_file

        create_key_file(settings.signing_key_path)
    return TestClient(create_app(settings))


@pytest.fixture
def local(database_url, tmp_path):
    with _client(database_url, tmp_path, "local") as c:
        yield c


def test_the_docs_page_loads_swagger_ui_from_the_hub_not_a_cdn(local):
    page = local.get("/docs")
    assert page.status_code == 200
    assert '<script src="/static/vendor/swagger-ui-bundle.js"></script>' in page.text
    assert '<script src="/static/hub/apidocs.js"></script>' in page.text
    assert '<link rel="stylesheet" href="/static/vendor/swagger-ui.css">' in page.text
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert "swagger-missing" not in page.text
    assert "cdn" not in page.text.lower()
    assert "http" not in page.text.lower()  # nothing from elsewhere at all


def test_the_docs_page_has_no_inline_script_and_the_pages_csp(local):
    page = local.get("/docs")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "style-src 'self'" in page.headers["content-security-policy"]
    # every <script> has a src and nothing between its tags
    assert page.text.count("<script") == page.text.count('<script src="/static/') == 2
    assert page.text.count("></script>") == 2


def test_swagger_ui_and_our_starter_are_served_and_nothing_else_of_the_package(local):
    js = local.get("/static/vendor/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert len(js.content) > 1_000_000
    assert b"SwaggerUIBundle" in js.content
    css = local.get("/static/vendor/swagger-ui.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert b".swagger-ui" in css.content
    starter = local.get("/static/hub/apidocs.js")
    assert starter.status_code == 200
    assert b"SwaggerUIBundle(" in starter.content
    for other in ("swagger-ui-standalone-preset.js", "index.html", "swagger-initializer.js"):
        assert local.get(f"/static/vendor/{other}").status_code == 404
    assert local.get("/static/vendor/..%2F..%2F__init__.py").status_code == 404
    assert local.get("/static/apidocs/swagger-ui-bundle.js").status_code == 404  # the old route


def test_the_api_document_is_openapi_3_1_with_the_apis_paths(local):
    doc = local.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/cases" in doc["paths"]
    assert "/metrics" not in doc["paths"]


def test_the_installed_swagger_ui_is_a_5_release_the_lock_file_pins():
    web = vendor.web_dir()
    lock = json.loads((web / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/swagger-ui-dist"]["version"]
    assert pinned.startswith("5.")
    assert json.loads((web / "package.json").read_text())["dependencies"]["swagger-ui-dist"] == (
        pinned
    )
    installed = json.loads((web / "node_modules/swagger-ui-dist/package.json").read_text())
    assert installed["version"] == pinned
    assert installed["license"] == "Apache-2.0"


def test_a_hub_without_swagger_ui_installed_says_how_to_install_it(
    local, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(vendor, "web_dir", lambda: tmp_path)
    page = local.get("/docs")
    assert page.status_code == 200
    assert 'id="swagger-missing"' in page.text
    assert "make web" in page.text
    missing = local.get("/static/vendor/swagger-ui-bundle.js")
    assert missing.status_code == 503
    assert "npm ci --prefix" in missing.text
    assert local.get("/openapi.json").status_code == 200  # the document itself needs no npm


def test_production_shows_the_api_document_to_token_holders_only(database_url, tmp_path):
    with _client(database_url, tmp_path, "production") as c:
        assert c.get("/openapi.json").status_code == 401
        assert c.get("/docs").status_code == 401
        with session(c) as s:
            token = add_account(s, name="reader", role=Role.VIEWER)
            s.commit()
        got = c.get("/openapi.json", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200


def test_production_shows_the_docs_page_to_a_signed_in_viewer(database_url, tmp_path):
    with _client(database_url, tmp_path, "production") as c:
        password = make_account(c.app.state.engine, "kezhang", Role.VIEWER)
        sign_in_client(c, "kezhang", password)
        assert c.get("/docs").status_code == 200
        assert c.get("/openapi.json").json()["paths"]
