"""The case status page a slip's QR leads to, on SQLite and PostgreSQL: public, in Chinese,
showing only what the slip holds; the same 404 for unknown and malformed tokens; feedback
taken only from the page itself (form token and origin); a budget per client address."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.app import create_app
from hub.feedback.tables import FEEDBACK
from hub.settings import HubSettings
from tests.support.deficiency import NUMBER, REF, TOKEN, seed_case

NOW = datetime(2026, 11, 26, 4, tzinfo=UTC)
ORIGIN = {"origin": "http://testserver"}


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path, environment="production",
        signing_key_file=_key(tmp_path), status_page_per_minute=20, status_feedback_per_hour=3,
    )  # fmt: skip
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: NOW  # type: ignore[attr-defined]
        yield c


def _key(tmp_path):
    from hub.keys import create_key_file

    path = tmp_path / "key.pem"
    create_key_file(path)
    return path


def _form_token(html: str) -> str:
    return html.split('name="form_token" value="', 1)[1].split('"', 1)[0]


def test_the_page_shows_the_matter_state_deadlines_and_what_is_owed_and_nothing_personal(client):
    case = seed_case(client.app.state.engine)
    got = client.get(f"/c/{TOKEN}")  # a production hub: no login for this page
    assert got.status_code == 200
    page = got.text
    assert "已报送" in page
    assert case.case_ref in page
    assert "2026年11月24日" in page  # 受理日期
    assert "补齐期限" in page
    assert all(m in page for m in case.owed)
    # the form's random hex token may contain "c01" by chance: look at the page without it
    shown = page.replace(_form_token(page), "")
    for personal in (REF, NUMBER, NUMBER[-4:], "c01", "****"):
        assert personal not in shown
    assert 'name="viewport"' in page
    assert "<script" not in page
    assert "script-src" not in got.headers["content-security-policy"]
    assert got.headers["referrer-policy"] == "same-origin"
    assert got.headers["cache-control"] == "no-store"


def test_unknown_and_malformed_tokens_get_the_same_404(client):
    seed_case(client.app.state.engine)
    unknown = client.get("/c/" + "A" * len(TOKEN))
    malformed = client.get("/c/%E5%A5%BD'%20OR%201=1--")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.text == malformed.text
    assert "未找到该办件" in unknown.text


def test_feedback_is_taken_from_the_page_itself_only(client):
    case = seed_case(client.app.state.engine)
    html = client.get(f"/c/{TOKEN}").text
    form = {"form_token": _form_token(html), "topic": "wait", "text": "等候\n太久了"}
    assert client.post(f"/c/{TOKEN}/feedback", data=form).status_code == 403  # no Origin
    evil = {"origin": "https://evil.example"}
    assert client.post(f"/c/{TOKEN}/feedback", data=form, headers=evil).status_code == 403
    forged = {**form, "form_token": "1700000000.deadbeef"}
    assert client.post(f"/c/{TOKEN}/feedback", data=forged, headers=ORIGIN).status_code == 403
    other = client.post("/c/" + "B" * 35 + "/feedback", data=form, headers=ORIGIN)
    assert other.status_code == 404
    sent = client.post(f"/c/{TOKEN}/feedback", data=form, headers=ORIGIN, follow_redirects=False)
    assert sent.status_code == 303
    assert urlsplit(sent.headers["location"]).path == f"/c/{TOKEN}"
    assert "感谢您的反馈" in client.get(sent.headers["location"]).text
    with client.app.state.engine.connect() as conn:
        (row,) = conn.execute(select(FEEDBACK)).all()
    assert (row.source, row.topic, row.text) == ("status_page", "wait", "等候 太久了")
    assert (row.case_id, row.unit, row.case_ref) == (case.case_id, "dongjie-cun", case.case_ref)


def test_each_client_address_has_a_budget(client):
    seed_case(client.app.state.engine)
    codes = [client.get(f"/c/{TOKEN}").status_code for _ in range(22)]
    assert codes[:20] == [200] * 20
    assert codes[20:] == [429, 429]
    assert "访问过于频繁" in client.get(f"/c/{TOKEN}").text


def test_feedback_posts_have_a_smaller_budget(client):
    seed_case(client.app.state.engine)
    token = _form_token(client.get(f"/c/{TOKEN}").text)
    form = {"form_token": token, "topic": "other", "text": "x"}
    codes = [
        client.post(
            f"/c/{TOKEN}/feedback", data=form, headers=ORIGIN, follow_redirects=False
        ).status_code
        for _ in range(4)
    ]
    assert codes == [303, 303, 303, 429]
