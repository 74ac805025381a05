"""People signing in, for tests of the hub's pages and API: an account with a password, a
TestClient signed in (its cookie kept, its CSRF header set), a playwright page signed in."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from hub.accounts import passwords, sessions
from hub.accounts.area import COUNTY, Area
from hub.accounts.roles import Role
from hub.accounts.scope import Scope, set_scope
from hub.accounts.store import add_account, get_account, set_password

_LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_account(
    engine: Engine, name: str, role: Role | str, *, area: Area = COUNTY, password: str | None = None
) -> str:
    """Create account ``name`` with ``role`` in ``area`` and return its password (``password``
    or a generated one). A back office in a town also gets that town as its scope."""
    role = Role(role)
    password = password or passwords.generate()
    with Session(engine) as s:
        add_account(s, name=name, role=role, area=area)
        s.flush()
        if role is Role.BACKOFFICE and area.town is not None:
            set_scope(s, name, Scope(town=area.town))
        set_password(s, get_account(s, name), password)
        s.commit()
    return password


def sign_in_client(client: Any, name: str, password: str) -> None:
    """Sign ``client`` (a TestClient) in through /login: it keeps the session cookie and sends
    the session's CSRF token on every later request."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    match = _LOGIN_TOKEN.search(form.text)
    assert match is not None, "the sign-in form has no csrf_token field"
    resp = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": match.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert resp.status_code == 303, f"sign-in refused ({resp.status_code}): {resp.text[:300]}"
    session_id = client.cookies.get(sessions.COOKIE)
    assert session_id, "no session cookie after signing in"
    client.headers["X-CSRF-Token"] = sessions.csrf_token(session_id)


def sign_in_page(page: Any, base_url: str, name: str, password: str) -> None:
    """Sign a playwright ``page`` in at ``base_url``/login; it ends on the overview (or where
    the hub sends it)."""
    page.goto(f"{base_url.rstrip('/')}/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('form#signin button[type="submit"]')
    assert "/login" not in page.url, f"still on the sign-in page: {page.url}"
