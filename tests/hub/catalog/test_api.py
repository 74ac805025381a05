"""The catalog through the hub API: indicators computed from the served catalog, uploads that
are refused with file, field and reason while the last good catalog stays, on both databases."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings
from protocol.catalog import Catalog
from tests.hub.catalog.test_indicators import small_catalog
from tests.support.catalog import catalog_data, matter_data


def catalog_file(tmp_path, version=1):
    matters = [m.model_dump(mode="json") for m in small_catalog()]
    data = Catalog.model_validate(
        {"_note": "test catalog", "version": version, "title": "测试目录", "matters": matters}
    ).model_dump(mode="json", by_alias=True)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def app_for(database_url, tmp_path):
    return create_app(
        HubSettings(
            database_url=database_url,
            broker_url=None,
            data_dir=tmp_path,
            catalog_file=catalog_file(tmp_path),
        )
    )


@pytest.fixture
def client(database_url, tmp_path):
    app = app_for(database_url, tmp_path)
    with TestClient(app) as c:
        with Session(app.state.engine) as s:
            token = add_account(s, name="ops", role=Role.OPERATOR)
            s.commit()
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def test_indicators_match_the_figures_done_by_hand(client):
    report = client.get("/api/catalog/indicators").json()
    every, delegated = report["all"], report["delegated"]
    # materials 10 -> 5, steps 15 -> 9, days 60 -> 15, one instant of three (see test_indicators)
    assert every["material_reduction"] == 0.5
    assert every["step_reduction"] == 0.4
    assert every["time_compression"] == 0.75
    assert (every["matters"], every["delegated"], every["instant"]) == (3, 2, 1)
    assert every["instant_share"] == round(1 / 3, 4)
    # the village window's share, A and B: materials 6 -> 3, steps 10 -> 5, days 30 -> 5
    assert (delegated["material_reduction"], delegated["step_reduction"]) == (0.5, 0.5)
    assert delegated["time_compression"] == round(1 - 5 / 30, 4)
    assert report["version"] == 1
    assert report["source"]["material_reduction"] == 0.742
    # declared, not measured: the measured ones are elsewhere
    assert (report["kind"], report["measured"]) == ("declared", "/api/indicators")
    assert report["label"].startswith("目标/承诺")


def test_a_bad_upload_is_refused_with_file_field_and_reason_and_the_old_catalog_stays(client):
    bad = catalog_data(matter_data(promised_days=30), version=2)  # promises more than the law
    resp = client.post("/api/catalog", content=json.dumps(bad, ensure_ascii=False))
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail["code"] == "catalog_invalid"
    assert detail["file"] == "upload"
    (issue,) = detail["issues"]
    assert issue["where"] == "matters[0](TST-001).promised_days"
    assert "exceeds the legal time limit" in issue["reason"]
    assert client.get("/api/catalog").json()["version"] == 1


def test_broken_json_is_refused_with_line_and_column(client):
    resp = client.post("/api/catalog", content=b'{"version": 2,,}')
    assert resp.json()["detail"]["issues"][0]["where"] == "line 1, column 15"


def test_a_newer_catalog_is_served_by_every_hub_process_and_an_older_one_is_refused(
    client, database_url, tmp_path
):
    newer = catalog_data(matter_data(), version=2)
    assert client.post("/api/catalog", content=json.dumps(newer)).status_code == 201
    assert client.get("/api/catalog/indicators").json()["version"] == 2
    # a second hub process on the same database, started from the old file, catches up
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    with TestClient(app_for(database_url, other_dir)) as other:
        assert other.get("/api/catalog").json()["version"] == 2
    stale = catalog_data(matter_data("TST-009"), version=2)
    resp = client.post("/api/catalog", content=json.dumps(stale))
    assert (resp.status_code, resp.json()["detail"]["code"]) == (409, "catalog_not_newer")
    entries = client.get("/api/audit", params={"action": "catalog.upload"}).json()
    assert [e["target"] for e in entries] == ["catalog/2"]


def test_uploading_needs_an_operator(client):
    resp = client.post("/api/catalog", content=b"{}", headers={"Authorization": ""})
    assert resp.status_code == 401
