"""The hub answers only its own host names: a page that re-points its DNS name at the hub
(DNS rebinding) is refused before routing or authentication, in local mode (loopback names
only by default) and in production (the configured names)."""

from __future__ import annotations

import os
import subprocess

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.errors import SettingsProblem
from hub.keys import create_key_file
from hub.settings import HubSettings
from hub.trusted_host import allowed, host_name
from tests.support.processes import BIANMIN


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


def test_production_without_host_names_refuses_to_start_naming_the_setting(tmp_path, monkeypatch):
    with pytest.raises(SettingsProblem) as refused:
        _client(tmp_path, monkeypatch, "production")
    for named in ("allowed_hosts", "BIANMIN_HUB_ALLOWED_HOSTS", "--allowed-host", "unsafe"):
        assert named in str(refused.value)


def test_production_with_an_explicit_star_answers_any_host_and_says_it_is_unsafe(
    tmp_path, monkeypatch, caplog
):
    with _client(tmp_path, monkeypatch, "production", allowed_hosts=("*",)) as client:
        assert client.get("/healthz", headers={"host": "anything.example"}).status_code == 200
    assert "unsafe" in caplog.text


def test_hub_serve_in_production_needs_its_names_from_the_flag_or_the_environment(tmp_path):
    """Without names `hub serve` stops with the reason; with --allowed-host it gets past them
    (and stops at the next check here: no signing key)."""
    env = {k: v for k, v in os.environ.items() if k != "BIANMIN_HUB_ALLOWED_HOSTS"}
    command = [
        BIANMIN, "hub", "serve", "--environment", "production", "--data-dir", str(tmp_path),
        "--database", f"sqlite:///{tmp_path / 'h.db'}",
    ]  # fmt: skip
    bare = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert bare.returncode == 2
    assert "error (invalid_settings)" in bare.stderr
    assert "BIANMIN_HUB_ALLOWED_HOSTS" in bare.stderr
    named = subprocess.run(
        [*command, "--allowed-host", "hub.county.local"], capture_output=True, text=True,
        timeout=60, env=env,
    )  # fmt: skip
    assert named.returncode == 2
    assert "error (signing_key)" in named.stderr
