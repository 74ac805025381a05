"""The kiosk serves the unit's own screen only: requests addressed to another name (DNS
rebinding: a page from evil.example re-pointed at 127.0.0.1) and actions from another origin
are refused before they reach the window, and every answer forbids framing and inline
script. A real window on a real event log; the kiosk app in process (no browser is needed to
send a forged Host or Origin)."""

from __future__ import annotations

import inspect

import pytest
from starlette.testclient import TestClient

from edge.kiosk import app as kiosk_app
from edge.kiosk.app import KIOSK_HOST, create_kiosk_app
from edge.window import runtime
from tests.edge.window.desk import build_desk

OWN = "http://127.0.0.1:8765"
ACTIONS = ("/api/act/open", "/api/followup/feedback", "/api/notices/n-1/deliver")


@pytest.fixture
def kiosk(tmp_path):
    desk = build_desk(tmp_path)
    with TestClient(create_kiosk_app(desk.window), base_url=OWN) as client:
        yield client, desk


def test_a_request_addressed_to_another_host_name_is_refused_dns_rebinding(kiosk):
    client, _desk = kiosk
    for path in ("/", "/api/view", "/static/kiosk.js", "/api/followup/view"):
        refused = client.get(path, headers={"host": "evil.example:8765"})
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "foreign_host"
        assert "window" not in refused.text  # nothing of the kiosk's view
    rebound = client.post(
        "/api/act/open", json={},
        headers={"host": "evil.example:8765", "origin": "http://evil.example:8765", "x-kiosk": "1"},
    )  # fmt: skip
    assert rebound.status_code == 403


def test_the_kiosk_answers_its_loopback_names(kiosk):
    client, _desk = kiosk
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"):
        assert client.get("/api/view", headers={"host": host}).status_code == 200, host


def test_an_action_from_another_origin_is_refused_before_the_window_sees_it(kiosk):
    client, desk = kiosk
    before = desk.store.event_log.after(0, 1000)
    for path in ACTIONS:
        for origin in ("http://evil.example", "null", "https://127.0.0.1.evil.example"):
            resp = client.post(path, json={}, headers={"origin": origin, "x-kiosk": "1"})
            assert resp.status_code == 403, (path, origin)
            assert resp.json()["error"]["code"] == "foreign_origin"
        by_referer = client.post(
            path, json={}, headers={"referer": "http://evil.example/x", "x-kiosk": "1"}
        )
        assert by_referer.status_code == 403
    assert desk.store.event_log.after(0, 1000) == before
    # its own page's origin passes the guard (the window then decides: no clerk signed in)
    own = client.post("/api/act/open", json={}, headers={"origin": OWN, "x-kiosk": "1"})
    assert own.status_code != 403


def test_every_answer_forbids_framing_and_inline_script(kiosk):
    client, _desk = kiosk
    for resp in (
        client.get("/"),
        client.get("/api/view"),
        client.get("/static/kiosk.js"),
        client.get("/static/none.js"),
        client.get("/", headers={"host": "evil.example"}),
    ):
        csp = resp.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["x-content-type-options"] == "nosniff"
    page = client.get("/").text
    assert "<script>" not in page
    assert " on" not in page.split("<body", 1)[1].split(">", 1)[0]


def test_the_kiosk_is_served_on_loopback_only():
    assert KIOSK_HOST == "127.0.0.1"
    serve = inspect.getsource(runtime.WindowRuntime._serve)
    assert "host=KIOSK_HOST" in serve
    assert kiosk_app.KIOSK_HOST in {"127.0.0.1", "::1"}
