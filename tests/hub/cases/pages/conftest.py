"""The case pages' hub (tests.hub.cases.pages.seeded seeds it)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.settings import HubSettings
from tests.hub.cases.pages.seeded import TODAY


@pytest.fixture
def client(database_url: str, tmp_path: Any) -> Iterator[TestClient]:
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: TODAY  # type: ignore[attr-defined]
        yield c
