"""Who is asking: a person signed in to the pages (the ``bianmin_session`` cookie, with the
CSRF check on every change), or automation with an API token (``Authorization: Bearer``, no
CSRF token: a browser never adds that header to a form on its own). HTTP Basic is refused
everywhere: a browser replays it on any request to the hub, a cross-site form post included.

Local mode (one machine: demo, tests) lets anonymous requests read as a viewer, so the
dashboard and the fleet simulator work without set-up; changing anything needs an account in
every mode. Production refuses anonymous requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from hub.accounts import csrf, sessions
from hub.accounts.roles import Actor, Role
from hub.accounts.store import Account, area_of, find_by_token
from hub.deps import SessionDep, SettingsDep, hub_now
from hub.errors import Forbidden, Unauthorized
from hub.settings import HubSettings

ANONYMOUS = Actor("anonymous", Role.VIEWER, anonymous=True)


@dataclass(frozen=True)
class Caller:
    actor: Actor
    session_id: str | None = None  # set when the cookie authenticated the request


def actor_of(account: Account) -> Actor:
    return Actor(account.name, Role(account.role), area=area_of(account))


def lifetimes(settings: HubSettings) -> sessions.Lifetimes:
    return sessions.Lifetimes(
        idle=timedelta(seconds=settings.session_idle_s),
        absolute=timedelta(seconds=settings.session_lifetime_s),
    )


def _bearer(header: str) -> str | None:
    """The token of an Authorization header, or None if there is none; Basic and anything
    else are refused with a message that says what to use."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic":
        raise Unauthorized(
            "HTTP Basic is not accepted: people sign in at /login, automation sends "
            "'Authorization: Bearer TOKEN'"
        )
    raise Unauthorized("use 'Authorization: Bearer TOKEN'")


def signed_in(
    request: Request, session: SessionDep, settings: SettingsDep
) -> tuple[Account, str] | None:
    """The account and session id of the request's session cookie, if it is live."""
    session_id = request.cookies.get(sessions.COOKIE)
    if not session_id:
        return None
    now = hub_now(request.app)
    name = sessions.find(session, session_id, now=now, lifetimes=lifetimes(settings))
    account = session.get(Account, name) if name is not None else None
    if name is not None and (account is None or account.disabled):
        sessions.end(session, session_id)
        account = None
    session.commit()  # an ended or touched session
    return (account, session_id) if account is not None else None


def authenticate(request: Request, session: SessionDep, settings: SettingsDep) -> Caller:
    token = _bearer(request.headers.get("authorization", ""))
    if token is not None:
        account = find_by_token(session, token)
        if account is None:
            raise Unauthorized("unknown or disabled token")
        return Caller(actor_of(account))
    found = signed_in(request, session, settings)
    if found is not None:
        account, session_id = found
        request.state.csrf_token = sessions.csrf_token(session_id)
        return Caller(actor_of(account), session_id)
    if settings.local:
        return Caller(ANONYMOUS)
    raise Unauthorized("sign in at /login, or send 'Authorization: Bearer TOKEN'")


async def current_actor(
    request: Request, caller: Annotated[Caller, Depends(authenticate)]
) -> Actor:
    """The actor of the request; a change made with the session cookie must carry the
    session's CSRF token (hub.accounts.csrf). Pages find both on ``request.state``."""
    request.state.actor = caller.actor
    if caller.session_id is not None:
        await csrf.check(request, sessions.csrf_token(caller.session_id))
    return caller.actor


def require(needed: Role) -> Callable[[Actor], Actor]:
    def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not actor.role.allows(needed):
            if actor.anonymous:
                raise Unauthorized(f"this needs an account of the {needed} role: sign in")
            raise Forbidden(f"{actor.name} ({actor.role}) may not do this; it needs {needed}")
        return actor

    return check


def _person(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if actor.anonymous:
        raise Unauthorized("sign in first")
    return actor


Viewer = Annotated[Actor, Depends(require(Role.VIEWER))]
Auditor = Annotated[Actor, Depends(require(Role.AUDITOR))]
Operator = Annotated[Actor, Depends(require(Role.OPERATOR))]
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
# any account, whatever its role (a back office included): its own password and page
Person = Annotated[Actor, Depends(_person)]
