"""Who reads dead letters (SQLite and PostgreSQL): everyone sees how many there are; only
auditors (and operators, who rank above them) see what they were, in the API and on the
dashboard. A refused payload may hold personal data, and local mode lets anonymous requests
read as viewers."""

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from hub.settings import HubSettings
from mqttio import Received
from tests.support.builders import NOW

SECRET = b"3411**********1234"
PAYLOAD = b'{"v":1,"events":[{"data":{"id_masked":"' + SECRET + b'"}}' + b" " * 300_000
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def client(database_url, tmp_path):
    app = create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))
    with TestClient(app) as c:
        refused = Received("bianmin/v1/u/t001/tx", PAYLOAD, 1, False)
        commit_ingest_batch(app.state.engine, take([refused], NOW).batch)
        yield c


def _as(client, role):
    with Session(client.app.state.engine) as s:
        token = add_account(s, name=f"a-{role}", role=role)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/api/dead-letters", "/dead-letters"])
def test_anonymous_local_readers_and_viewers_are_refused_the_dead_letters(client, path):
    anonymous = client.get(path)
    viewer = client.get(path, headers=_as(client, Role.VIEWER))
    assert (anonymous.status_code, viewer.status_code) == (401, 403)
    for resp in (anonymous, viewer):
        assert resp.json()["detail"]["code"] in ("unauthorized", "forbidden")
        assert SECRET.decode() not in resp.text


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.OPERATOR])
def test_auditors_read_the_reason_size_hash_and_prefix_of_each_dead_letter(client, role):
    (dead,) = client.get("/api/dead-letters", headers=_as(client, role)).json()
    assert dead["reason_code"] == "payload_too_large"
    assert dead["reason"]
    assert (dead["size"], dead["payload_sha256"]) == (len(PAYLOAD), SHA)
    assert dead["payload_preview"] == PAYLOAD[:512].decode()
    assert "payload" not in dead


def test_everyone_sees_how_many_dead_letters_there_are_but_not_what_they_hold(client):
    assert client.get("/api/stats").json()["dead_letters"] == 1
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="dead-letters">1<' in page.text
    assert SECRET.decode() not in page.text


def test_the_auditors_dead_letter_page_lists_reason_size_hash_and_prefix_in_chinese(client):
    page = client.get("/dead-letters", headers=_as(client, Role.AUDITOR))
    assert page.status_code == 200
    assert "异常消息" in page.text
    assert "仅审计员可查看" in page.text
    for shown in ("payload_too_large", f"{len(PAYLOAD):,}", SHA, SECRET.decode()):
        assert shown in page.text
