"""The pages' stylesheet and script come from the hub itself, and nothing else is served from
the static path."""

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_layout_script_and_stylesheet_are_served_by_the_hub(client):
    script = client.get("/static/hub/hub.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "x-csrf-token" in script.text
    assert client.get("/static/hub/hub.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("name", ["../app.py", "pages.py", "%2e%2e%2fapp.py"])
def test_nothing_but_the_named_files_is_served(client, name):
    assert client.get(f"/static/hub/{name}").status_code == 404
