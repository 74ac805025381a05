"""Signing in and out of the pages: ``GET/POST /login``, ``POST /logout``.

The sign-in form is a classic form post, before any session exists, so its CSRF protection is
a double submit: ``GET /login`` sets a random pre-session cookie (``bianmin_login``: HttpOnly,
SameSite=Strict, Path=/login) and puts the same value in the form; the post must carry both,
equal (constant time), and come from this hub when it names an origin. Another site can
neither read the cookie nor, with SameSite=Strict, have the browser send it, so it cannot
sign a victim in to an account of its choosing.

A wrong password and an unknown name get the same answer after the same work (a dummy hash
is verified); failures lock the name and the client address (hub.accounts.lockout).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from hub import audit, ratelimit
from hub.accounts import csrf, lockout, passwords, sessions
from hub.accounts.auth import lifetimes
from hub.accounts.lockout import Policy
from hub.accounts.roles import SYSTEM, Actor, Role
from hub.accounts.store import ACCOUNTS, Account, set_password
from hub.casepage.guard import client_address, page_secret
from hub.deps import SessionDep, SettingsDep, hub_now
from hub.settings import HubSettings
from hub.web.pages import page

router = APIRouter(include_in_schema=False)

LOGIN_COOKIE = "bianmin_login"
MAX_NAME = 64
MAX_NEXT = 2000


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this hub only (never //host or a scheme)."""
    if (
        not target
        or len(target) > MAX_NEXT
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 for c in target)
    ):
        return "/"
    return target


def _policies(settings: HubSettings) -> tuple[Policy, Policy]:
    base = timedelta(seconds=settings.login_lockout_s)
    cap = timedelta(seconds=settings.login_lockout_max_s)
    return (
        Policy(settings.login_failures_per_account, base, cap),
        Policy(settings.login_failures_per_address, base, cap),
    )


def _address_key(request: Request) -> str:
    secret: bytes | None = getattr(request.app.state, "login_secret", None)
    if secret is None:
        secret = request.app.state.login_secret = page_secret(request.app.state.signing_key)
    return ratelimit.client_key(secret, "login", client_address(request))


def _form(
    request: Request,
    settings: HubSettings,
    *,
    next_: str,
    error: str = "",
    name: str = "",
    status: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    context: dict[str, Any] = {
        "login_token": token, "next": next_, "error": error, "name": name[:MAX_NAME],
    }  # fmt: skip
    response = page(request, "login.html", context, nav="/login", status_code=status)
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict",
        secure=settings.cookie_secure,
    )  # fmt: skip
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    # shown even to someone signed in: signing in again (as someone else) replaces the session
    return _form(request, settings, next_=safe_next(next))


def _minutes(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=MAX_NEXT)] = "/",
) -> Response:
    target = safe_next(next)
    name = name.strip()
    if not csrf.same_origin_when_named(request) or not csrf.tokens_match(
        csrf_token, request.cookies.get(LOGIN_COOKIE, "")
    ):
        return _form(request, settings, next_=target, name=name, status=403,
                     error="页面已过期或来自其他网站，请重新输入后登录。")  # fmt: skip
    now = hub_now(request.app)
    by_account, by_address = _policies(settings)
    account_key, address_key = lockout.account_key(name), _address_key(request)
    locked = max(
        (u for k in (account_key, address_key) if (u := lockout.locked_until(session, k, now=now))),
        default=None,
    )
    if locked is not None:
        wait = _minutes(locked, now)
        return _form(request, settings, next_=target, name=name, status=429,
                     error=f"登录失败次数过多，已暂时锁定，请 {wait} 分钟后再试。")  # fmt: skip
    account = session.get(Account, name[:MAX_NAME]) if name else None
    usable = account is not None and not account.disabled
    stored = account.password_hash if account is not None and usable else None
    if not passwords.verify(stored, password) or account is None:
        for key, policy, target_name in (
            (account_key, by_account, f"account/{name[:MAX_NAME]}"),
            (address_key, by_address, f"address/{address_key.split(':')[-1][:16]}"),
        ):
            until = lockout.fail(session, key, policy, now=now)
            if until is not None:
                audit.record(session, actor=SYSTEM, action="account.locked", target=target_name,
                             detail={"until": until.isoformat()})  # fmt: skip
        session.commit()
        return _form(request, settings, next_=target, name=name, status=401,
                     error="账号或密码错误。")  # fmt: skip
    if passwords.needs_rehash(stored or ""):
        set_password(session, account, password)
    lockout.clear(session, account_key)
    previous = request.cookies.get(sessions.COOKIE)
    if previous:  # a new id at every sign-in: a session id planted before it is worth nothing
        sessions.end(session, previous)
    # sessions nobody came back to and stale failure counts go here: sign-ins are rare enough
    sessions.sweep(session, now=now, lifetimes=lifetimes(settings))
    lockout.sweep(session, now=now)
    session_id = sessions.start(session, account=account.name, now=now)
    actor = Actor(account.name, Role(account.role))
    audit.record(session, actor=actor, action="account.sign_in", target=f"account/{account.name}")
    session.commit()
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, session_id, settings)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def set_session_cookie(response: Response, session_id: str, settings: HubSettings) -> None:
    # no max-age: the browser drops it when it closes; the hub ends it earlier (idle, lifetime)
    response.set_cookie(
        sessions.COOKIE, session_id, path="/", httponly=True, samesite="strict",
        secure=settings.cookie_secure,
    )  # fmt: skip


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (with its CSRF token: another site cannot sign people out)."""
    engine, settings = request.app.state.engine, request.app.state.settings
    session_id = request.cookies.get(sessions.COOKIE)
    response = RedirectResponse("/login", status_code=303)
    if not session_id:
        return response
    await csrf.check(request, sessions.csrf_token(session_id))
    now = hub_now(request.app)
    with engine.begin() as conn:
        name = sessions.find(conn, session_id, now=now, lifetimes=lifetimes(settings))
        sessions.end(conn, session_id)
        role = conn.execute(select(ACCOUNTS.c.role).where(ACCOUNTS.c.name == name)).scalar()
        if name is not None and role is not None:
            audit.record(conn, actor=Actor(name, Role(role)), action="account.sign_out",
                         target=f"account/{name}")  # fmt: skip
    response.delete_cookie(sessions.COOKIE, path="/")
    return response
