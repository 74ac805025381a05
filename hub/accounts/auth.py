"""Who is asking: API tokens (``Authorization: Bearer``, or HTTP Basic with the account name
and the token as password, which browsers can send for the dashboard) and role checks.

Local mode (one machine: demo, tests) lets anonymous requests read as a viewer, so the
dashboard and the fleet simulator work without set-up; changing anything needs an operator
token in every mode. Production refuses anonymous requests.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from hub.accounts.roles import Actor, Role
from hub.accounts.store import find_by_token
from hub.deps import SessionDep, SettingsDep
from hub.errors import Forbidden, Unauthorized


def _credentials(header: str) -> tuple[str | None, str] | None:
    """(account name or None, token) from an Authorization header, or None if absent."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value
    if scheme.lower() == "basic" and value:
        try:
            name, sep, token = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials") from None
        if sep:
            return name, token
    if header:
        raise Unauthorized("use 'Authorization: Bearer TOKEN' (or Basic NAME:TOKEN)")
    return None


def current_actor(request: Request, session: SessionDep, settings: SettingsDep) -> Actor:
    given = _credentials(request.headers.get("authorization", ""))
    if given is None:
        if settings.local:
            return Actor("anonymous", Role.VIEWER, anonymous=True)
        raise Unauthorized("this hub needs an API token (bianmin hub user add NAME --role ROLE)")
    name, token = given
    account = find_by_token(session, token)
    if account is None or (name is not None and not hmac.compare_digest(name, account.name)):
        raise Unauthorized("unknown or disabled token")
    return Actor(account.name, Role(account.role))


def require(needed: Role) -> Callable[[Actor], Actor]:
    def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not actor.role.allows(needed):
            if actor.anonymous:
                raise Unauthorized(f"this needs an API token of the {needed} role")
            raise Forbidden(f"{actor.name} ({actor.role}) may not do this; it needs {needed}")
        return actor

    return check


Viewer = Annotated[Actor, Depends(require(Role.VIEWER))]
Auditor = Annotated[Actor, Depends(require(Role.AUDITOR))]
Operator = Annotated[Actor, Depends(require(Role.OPERATOR))]
