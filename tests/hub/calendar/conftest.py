"""The hub app on SQLite and PostgreSQL, with an operator and a viewer account."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    app = create_app(settings)
    with TestClient(app) as c:
        with Session(app.state.engine) as s:
            c.tokens = {  # type: ignore[attr-defined]
                role: add_account(s, name=role.value, role=role)
                for role in (Role.OPERATOR, Role.VIEWER)
            }
            s.commit()
        yield c


def as_role(client, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"}
