"""The hub answers only its own host names: a page that re-points its DNS name at the hub
(DNS rebinding) is refused before routing or authentication, in local mode (loopback names
only by default) and in production (the configured names)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings
from hub.trusted_host import allowed, host_name


def _client(tmp_path, monkeypatch, environment="local", **fields):
    monkeypatch.delenv("BIANMIN_HUB_ALLOWED_HOSTS", raising=False)
    if environment == "production":
        create_key_file(tmp_path / "hub_signing_key.pem")
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}", broker_url=None, data_dir=tmp_path,
        environment=environment, **fields,
    )  # fmt: skip
    return TestClient(create_app(settings), base_url="http://127.0.0.1")


def test_in_local_mode_a_rebound_host_name_is_refused_and_loopback_names_answer(
    tmp_path, monkeypatch
):
    with _client(tmp_path, monkeypatch) as client:
        for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "testserver"):
            resp = client.get("/api/units", headers={"host": host})
            assert resp.status_code == 400, host
            assert resp.json()["detail"]["code"] == "unknown_host"
        # nothing readable, and no change either
        assert client.post("/logout", headers={"host": "evil.example"}).status_code == 400
        for host in ("127.0.0.1:8000", "localhost", "[::1]:8000"):
            assert client.get("/api/units", headers={"host": host}).status_code == 200, host


def test_in_production_the_configured_names_answer_and_others_are_refused(tmp_path, monkeypatch):
    with _client(
        tmp_path, monkeypatch, "production", allowed_hosts=("hub.county.local", "*.qingshui.gov")
    ) as client:
        assert client.get("/healthz", headers={"host": "hub.county.local:8443"}).status_code == 200
        assert client.get("/healthz", headers={"host": "a.qingshui.gov"}).status_code == 200
        for host in ("evil.example", "qingshui.gov.evil.example", "127.0.0.1"):
            assert client.get("/healthz", headers={"host": host}).status_code == 400, host


def test_host_names_are_compared_without_port_or_case():
    assert host_name("Hub.County.Local:8443") == "hub.county.local"
    assert host_name("[::1]:80") == "::1"
    assert host_name("[bad") == ""
    assert not allowed("", ("localhost",))
    assert allowed("x.a.org", ("*.a.org",))
    assert not allowed("xa.org", ("*.a.org",))


def test_production_without_names_answers_any_host_and_says_so(tmp_path, monkeypatch, caplog):
    with _client(tmp_path, monkeypatch, "production") as client:
        assert client.get("/healthz", headers={"host": "anything.example"}).status_code == 200
    assert "allowed_hosts is not set" in caplog.text
