"""The API's document and its interactive page come from the hub itself and need a viewer."""

import pytest
from fastapi.testclient import TestClient

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings
from tests.hub.window.helpers import session


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
    assert "/static/apidocs/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    js = local.get("/static/apidocs/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert len(js.content) > 100_000
    assert local.get("/static/apidocs/swagger-ui-standalone-preset.js").status_code == 404
    assert local.get("/static/apidocs/..%2F..%2F__init__.py").status_code == 404
    doc = local.get("/openapi.json").json()
    assert "/api/cases" in doc["paths"]
    assert "/metrics" not in doc["paths"]


def test_production_shows_the_api_document_to_token_holders_only(database_url, tmp_path):
    with _client(database_url, tmp_path, "production") as c:
        assert c.get("/openapi.json").status_code == 401
        assert c.get("/docs").status_code == 401
        with session(c) as s:
            token = add_account(s, name="reader", role=Role.VIEWER)
            s.commit()
        got = c.get("/openapi.json", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200
