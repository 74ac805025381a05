"""The hub app on SQLite and PostgreSQL, for the window routes."""

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        yield c
