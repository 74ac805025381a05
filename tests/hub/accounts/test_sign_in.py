"""Signing in to the pages, on SQLite and PostgreSQL: sessions, the CSRF check on every change
made with the cookie, lock-out, expiry, password changes, and the refusals (Basic, default
passwords in production)."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from hub import audit
from hub.accounts.roles import Role
from hub.accounts.sessions import COOKIE, SESSIONS, csrf_token
from hub.accounts.store import Account, add_account
from hub.app import create_app
from hub.errors import SettingsProblem
from hub.keys import create_key_file
from hub.settings import HubSettings
from tests.support.signin import make_account, sign_in_client

ROLLOUT = {"target": {"units": ["dongjie-cun"]}, "note": "sign-in test"}
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def state(client: TestClient) -> Any:
    return client.app.state  # type: ignore[attr-defined]


def settings_for(database_url, tmp_path, environment="production", **kw):
    if environment != "local" and not (tmp_path / "hub_signing_key.pem").exists():
        create_key_file(tmp_path / "hub_signing_key.pem")
    return HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path,
                       environment=environment, **kw)  # fmt: skip


@pytest.fixture
def hub(database_url, tmp_path):
    with TestClient(create_app(settings_for(database_url, tmp_path))) as client:
        yield client


def login_form(client):
    found = TOKEN_FIELD.search(client.get("/login").text)
    assert found is not None
    return found.group(1)


def post_login(client, name, password, next_="/"):
    token = login_form(client)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                       "next": next_}, follow_redirects=False)  # fmt: skip


def test_signing_in_opens_a_session_the_pages_and_api_recognise(hub):
    password = make_account(state(hub).engine, "zhang", Role.OPERATOR)
    assert hub.get("/api/me").status_code == 401
    resp = post_login(hub, "zhang", password, next_="/account")
    assert (resp.status_code, resp.headers["location"]) == (303, "/account")
    cookie = resp.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute in cookie
    assert "Secure" not in cookie  # served over http here (cookie_secure is off)
    assert hub.get("/api/me").json()["name"] == "zhang"
    page = hub.get("/account")
    assert page.status_code == 200
    assert 'id="who">zhang<' in page.text
    with Session(state(hub).engine) as s:
        (entry,) = audit.search(s, audit.AuditQuery(action="account.sign_in"))
        stored = s.execute(select(SESSIONS.c.id_hash)).scalars().all()
    assert (entry.actor, entry.target) == ("zhang", "account/zhang")
    assert hub.cookies.get(COOKIE) not in stored  # only its hash is kept


def test_signing_in_again_replaces_the_session_so_a_planted_id_is_worthless(hub):
    password = make_account(state(hub).engine, "zhang", Role.VIEWER)
    assert post_login(hub, "zhang", password).status_code == 303
    first = hub.cookies.get(COOKIE)
    assert post_login(hub, "zhang", password).status_code == 303
    assert hub.cookies.get(COOKIE) != first
    stale = TestClient(hub.app, cookies={COOKIE: first})
    assert stale.get("/api/me").status_code == 401


def test_the_cookie_is_secure_when_the_hub_is_served_over_https(database_url, tmp_path):
    settings = settings_for(database_url, tmp_path, cookie_secure=True)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        password = make_account(state(client).engine, "li", Role.VIEWER)
        resp = post_login(client, "li", password)
        assert "Secure" in resp.headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(hub):
    make_account(state(hub).engine, "zhang", Role.VIEWER, password="qingshui-2026")
    wrong = post_login(hub, "zhang", "qingshui-2027")
    unknown = post_login(hub, "nobody", "qingshui-2026")
    assert wrong.status_code == unknown.status_code == 401
    assert "账号或密码错误" in wrong.text
    assert "账号或密码错误" in unknown.text
    assert COOKIE not in hub.cookies


def test_a_token_only_or_disabled_account_cannot_sign_in(hub):
    with Session(state(hub).engine) as s:
        add_account(s, name="robot", role=Role.OPERATOR)
        s.commit()
    assert post_login(hub, "robot", "").status_code == 401
    password = make_account(state(hub).engine, "gone", Role.VIEWER)
    with Session(state(hub).engine) as s:
        gone = s.get(Account, "gone")
        assert gone is not None
        gone.disabled = True
        s.commit()
    assert post_login(hub, "gone", password).status_code == 401


def test_five_failures_lock_the_name_even_the_right_password_then_it_is_audited(hub):
    make_account(state(hub).engine, "zhang", Role.VIEWER, password="qingshui-2026")
    for _ in range(5):
        assert post_login(hub, "zhang", "guess-guess-1").status_code == 401
    locked = post_login(hub, "zhang", "qingshui-2026")
    assert locked.status_code == 429
    assert "15 分钟" in locked.text
    # an unknown name locks the same way, so a lock-out tells nothing about who exists
    for _ in range(5):
        post_login(hub, "ghost", "guess-guess-1")
    assert post_login(hub, "ghost", "guess-guess-1").status_code == 429
    with Session(state(hub).engine) as s:
        targets = [e.target for e in audit.search(s, audit.AuditQuery(action="account.locked"))]
    assert targets == ["account/ghost", "account/zhang"]
    # time passes: the lock ends and the right password works
    state(hub).clock = lambda: datetime.now(UTC) + timedelta(minutes=16)
    assert post_login(hub, "zhang", "qingshui-2026").status_code == 303


def test_many_failures_from_one_address_lock_it_for_every_name(database_url, tmp_path):
    settings = settings_for(database_url, tmp_path, login_failures_per_address=3)
    with TestClient(create_app(settings)) as client:
        password = make_account(state(client).engine, "zhang", Role.VIEWER)
        for name in ("a1", "a2", "a3"):
            assert post_login(client, name, "guess-guess-1").status_code == 401
        assert post_login(client, "zhang", password).status_code == 429


def test_a_session_ends_when_idle_too_long_or_too_old(database_url, tmp_path):
    settings = settings_for(database_url, tmp_path, session_idle_s=600, session_lifetime_s=3600)
    with TestClient(create_app(settings)) as client:
        now = datetime.now(UTC)
        state(client).clock = lambda: now
        sign_in_client(client, "zhang", make_account(state(client).engine, "zhang", "viewer"))
        for minutes in (9, 18, 27, 36, 45, 54):  # active: each request within the idle limit
            state(client).clock = lambda m=minutes: now + timedelta(minutes=m)
            assert client.get("/api/me").status_code == 200
        state(client).clock = lambda: now + timedelta(minutes=61)  # past the lifetime
        assert client.get("/api/me").status_code == 401
        with Session(state(client).engine) as s:
            assert s.execute(select(func.count()).select_from(SESSIONS)).scalar_one() == 0


def test_a_session_idle_past_its_limit_is_refused(database_url, tmp_path):
    settings = settings_for(database_url, tmp_path, session_idle_s=600)
    with TestClient(create_app(settings)) as client:
        now = datetime.now(UTC)
        state(client).clock = lambda: now
        sign_in_client(client, "li", make_account(state(client).engine, "li", "viewer"))
        state(client).clock = lambda: now + timedelta(minutes=11)
        assert client.get("/api/me").status_code == 401


def test_changes_with_the_cookie_need_the_sessions_csrf_token(hub):
    sign_in_client(hub, "ops", make_account(state(hub).engine, "ops", Role.OPERATOR))
    token = hub.headers.pop("X-CSRF-Token")
    missing = hub.post("/api/rollouts", json=ROLLOUT)
    assert (missing.status_code, missing.json()["detail"]["code"]) == (403, "csrf_failed")
    wrong = hub.post("/api/rollouts", json=ROLLOUT, headers={"X-CSRF-Token": token[:-2] + "xx"})
    assert (wrong.status_code, wrong.json()["detail"]["code"]) == (403, "csrf_failed")
    other = hub.post("/api/rollouts", json=ROLLOUT, headers={"X-CSRF-Token": csrf_token("z" * 43)})
    assert other.status_code == 403
    cross = hub.post("/api/rollouts", json=ROLLOUT,
                     headers={"X-CSRF-Token": token, "Origin": "http://evil.example"})  # fmt: skip
    assert (cross.status_code, cross.json()["detail"]["code"]) == (403, "csrf_failed")
    ok = hub.post("/api/rollouts", json=ROLLOUT,
                  headers={"X-CSRF-Token": token, "Origin": "http://testserver"})  # fmt: skip
    assert ok.status_code == 201
    assert hub.get("/api/rollouts").status_code == 200  # reads need no token


def test_a_classic_form_post_carries_the_token_as_a_field(hub):
    sign_in_client(hub, "li", make_account(state(hub).engine, "li", Role.VIEWER))
    token = hub.headers.pop("X-CSRF-Token")
    refused = hub.post("/logout", data={}, follow_redirects=False)
    assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "csrf_failed")
    assert hub.get("/api/me").status_code == 200  # still signed in
    out = hub.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert hub.get("/api/me").status_code == 401
    with Session(state(hub).engine) as s:
        assert audit.search(s, audit.AuditQuery(action="account.sign_out"))[0].actor == "li"


def test_the_sign_in_form_itself_needs_its_pre_session_token(hub):
    password = make_account(state(hub).engine, "li", Role.VIEWER)
    login_form(hub)
    forged = hub.post("/login", data={"name": "li", "password": password, "csrf_token": "forged"},
                      follow_redirects=False)  # fmt: skip
    assert forged.status_code == 403
    token = login_form(hub)
    cross = hub.post("/login", data={"name": "li", "password": password, "csrf_token": token},
                     headers={"Origin": "http://evil.example"}, follow_redirects=False)  # fmt: skip
    assert cross.status_code == 403
    assert COOKIE not in hub.cookies


def test_bearer_tokens_work_without_a_csrf_token_and_basic_never_does(hub):
    with Session(state(hub).engine) as s:
        token = add_account(s, name="robot", role=Role.OPERATOR)
        s.commit()
    ok = hub.post("/api/rollouts", json=ROLLOUT, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 201
    basic = hub.get("/api/me", headers={"Authorization": "Basic cm9ib3Q6eA=="})
    assert basic.status_code == 401


def test_changing_the_password_ends_the_accounts_other_sessions(database_url, tmp_path):
    settings = settings_for(database_url, tmp_path)
    app = create_app(settings)
    with TestClient(app) as office, TestClient(app) as laptop:
        password = make_account(app.state.engine, "zhang", Role.VIEWER)
        sign_in_client(office, "zhang", password)
        sign_in_client(laptop, "zhang", password)
        weak = office.post("/api/account/password", json={"old": password, "new": "zhang123456"})
        assert weak.status_code == 422
        assert "账号名" in weak.json()["detail"]["message"]
        bad_old = office.post("/api/account/password", json={"old": "nope", "new": "Qs-2026-新"})
        assert bad_old.status_code == 422
        done = office.post("/api/account/password", json={"old": password, "new": "Qs-2026-新密码"})
        assert done.json() == {"name": "zhang", "sessions_ended": 1}
        assert office.get("/api/me").status_code == 200  # the one that changed it stays
        assert laptop.get("/api/me").status_code == 401
        assert post_login(laptop, "zhang", password).status_code == 401
        assert post_login(laptop, "zhang", "Qs-2026-新密码").status_code == 303


@pytest.mark.parametrize("by_hand", [False, True])
def test_a_production_hub_refuses_to_start_with_a_default_password(database_url, tmp_path, by_hand):
    """GIVEN an admin account whose password is `changeme`, set by the hub's own code or
    written into the table by hand (the hub never saw it) WHEN a production hub starts THEN it
    refuses, naming the account; local mode starts."""
    from sqlalchemy import update

    from hub.accounts.passwords import hash_password
    from hub.accounts.store import ACCOUNTS, get_account, set_password
    from hub.db import create_tables, make_engine

    engine = make_engine(database_url)
    create_tables(engine)
    with Session(engine) as s:
        add_account(s, name="admin", role=Role.ADMIN)
        add_account(s, name="fine", role=Role.VIEWER)
        s.flush()
        set_password(s, get_account(s, "fine"), "Window-desk-2026")
        if by_hand:
            s.execute(update(ACCOUNTS).where(ACCOUNTS.c.name == "admin")
                      .values(password_hash=hash_password("changeme")))  # fmt: skip
        else:
            set_password(s, get_account(s, "admin"), "changeme")
        s.commit()
    engine.dispose()
    with pytest.raises(SettingsProblem, match="accounts admin have a well-known default"):
        create_app(settings_for(database_url, tmp_path))
    with TestClient(create_app(settings_for(database_url, tmp_path, "local"))):
        pass  # local mode starts


def test_local_mode_reads_anonymously_but_a_signed_in_person_is_themself(database_url, tmp_path):
    with TestClient(create_app(settings_for(database_url, tmp_path, "local"))) as client:
        assert client.get("/api/me").json()["anonymous"] is True
        assert client.post("/api/rollouts", json=ROLLOUT).status_code == 401
        sign_in_client(client, "ops", make_account(state(client).engine, "ops", "operator"))
        assert client.get("/api/me").json()["name"] == "ops"
        assert client.post("/api/rollouts", json=ROLLOUT).status_code == 201


def test_sessions_nobody_came_back_to_are_swept_at_the_next_sign_in(database_url, tmp_path):
    settings = settings_for(database_url, tmp_path, session_idle_s=600)
    with TestClient(create_app(settings)) as client:
        engine = state(client).engine
        now = datetime.now(UTC)
        from hub.accounts import sessions

        with Session(engine) as s:
            sessions.start(s, account="gone-home", now=now - timedelta(hours=1))
            s.commit()
        state(client).clock = lambda: now
        sign_in_client(client, "li", make_account(engine, "li", Role.VIEWER))
        with Session(engine) as s:
            owners = s.execute(select(SESSIONS.c.account)).scalars().all()
        assert owners == ["li"]
