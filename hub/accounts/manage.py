"""Accounts managed from the pages: a person changes their own password; an admin creates,
disables, re-enables, resets and moves accounts (role, area). Every change is audited in the
same transaction, and a password change or reset ends the account's other sessions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from hub import audit
from hub.accounts import passwords, sessions
from hub.accounts.area import Area
from hub.accounts.auth import Admin, Person
from hub.accounts.roles import Actor, Role
from hub.accounts.scope import Scope, set_scope
from hub.accounts.store import (
    AccountPublic,
    add_account,
    get_account,
    list_accounts,
    public,
    set_area,
    set_password,
)
from hub.deps import RegistryDep, SessionDep
from hub.errors import Forbidden, InvalidRequest, UnknownTarget
from protocol.villages import RegistryLookupError, VillageRegistry

router = APIRouter(prefix="/api")

AccountRole = Literal["admin", "operator", "auditor", "viewer", "backoffice"]


class PasswordChange(BaseModel):
    old: str = Field(max_length=passwords.MAX_LENGTH)
    new: str = Field(max_length=passwords.MAX_LENGTH)


class AccountCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: AccountRole
    town: str | None = Field(default=None, max_length=64)
    village: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=100)  # a back office's


class AccountChange(BaseModel):
    role: AccountRole | None = None
    town: str | None = Field(default=None, max_length=64)
    village: str | None = Field(default=None, max_length=64)


class IssuedPassword(BaseModel):
    """A password made by the hub, shown once to the admin who hands it over."""

    name: str
    password: str
    token: str | None = None  # a new account's API token, also shown once


def checked_area(registry: VillageRegistry, town: str | None, village: str | None) -> Area:
    """An area from a form: empty strings are absent; a town or village the registry knows."""
    town, village = town or None, village or None
    if town is not None and village is not None:
        raise InvalidRequest("an account's area is the county, one town or one village")
    try:
        if town is not None:
            registry.division(town)
        if village is not None:
            registry.village(village)
    except RegistryLookupError:
        raise UnknownTarget(f"no town or village {town or village!r} in the registry") from None
    return Area(town=town, village=village)


@router.post("/account/password")
def change_own_password(
    body: PasswordChange, actor: Person, session: SessionDep, request: Request
) -> dict[str, Any]:
    account = get_account(session, actor.name)
    if not passwords.verify(account.password_hash, body.old):
        raise InvalidRequest("原密码不正确。")
    problem = passwords.problem(body.new, name=actor.name)
    if problem is not None:
        raise InvalidRequest(problem)
    set_password(session, account, body.new)
    ended = sessions.end_all(session, actor.name, keep=request.cookies.get(sessions.COOKIE))
    audit.record(session, actor=actor, action="account.password_change",
                 target=f"account/{actor.name}", detail={"sessions_ended": ended})  # fmt: skip
    session.commit()
    return {"name": actor.name, "sessions_ended": ended}


@router.get("/accounts")
def accounts(
    _: Admin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AccountPublic]:
    return list_accounts(session, limit=limit, offset=offset)


@router.post("/accounts", status_code=201)
def create_account(
    body: AccountCreate, actor: Admin, session: SessionDep, registry: RegistryDep
) -> IssuedPassword:
    area = checked_area(registry, body.town, body.village)
    role = Role(body.role)
    scope = _scope(role, area, body.department)
    token = add_account(session, name=body.name, role=role, area=area)
    session.flush()
    if scope is not None:
        set_scope(session, body.name, scope)
    password = passwords.generate()
    set_password(session, get_account(session, body.name), password)
    detail: dict[str, Any] = {"role": role.value, **_area_detail(area)}
    if scope is not None:
        detail.update(scope.as_dict())
    audit.record(session, actor=actor, action="account.add", target=f"account/{body.name}",
                 detail=detail)  # fmt: skip
    session.commit()
    return IssuedPassword(name=body.name, password=password, token=token)


def _scope(role: Role, area: Area, department: str | None) -> Scope | None:
    """A back office serves a town (its area) or a department; other roles have no scope."""
    department = department or None
    if role is not Role.BACKOFFICE:
        if department is not None:
            raise InvalidRequest("only a back office serves a department")
        return None
    if area.village is not None:
        raise InvalidRequest("a back office serves a town or a department, not a village")
    return Scope(town=area.town, department=None if area.town else department)


def _area_detail(area: Area) -> dict[str, str]:
    if area.village is not None:
        return {"village": area.village}
    if area.town is not None:
        return {"town": area.town}
    return {"area": "county"}


def _not_self(actor: Actor, name: str, what: str) -> None:
    # an admin cannot lock themselves out (and so never leaves the hub without an admin)
    if actor.name == name:
        raise Forbidden(f"an admin cannot {what} their own account")


@router.patch("/accounts/{name}")
def change_account(
    name: str, body: AccountChange, actor: Admin, session: SessionDep, registry: RegistryDep
) -> AccountPublic:
    account = get_account(session, name)
    detail: dict[str, Any] = {}
    if body.role is not None and body.role != account.role:
        _not_self(actor, name, "change the role of")
        if Role(body.role) is Role.BACKOFFICE or account.role == Role.BACKOFFICE.value:
            raise InvalidRequest("a back office is created as one: add a new account instead")
        detail["role"] = {"from": account.role, "to": body.role}
        account.role = body.role
    if "town" in body.model_fields_set or "village" in body.model_fields_set:
        area = checked_area(registry, body.town, body.village)
        if account.role == Role.BACKOFFICE.value:
            raise InvalidRequest("a back office keeps its town or department")
        detail["area"] = _area_detail(area)
        set_area(account, area)
    if not detail:
        raise InvalidRequest("nothing to change: give a role, a town or a village")
    session.add(account)
    audit.record(session, actor=actor, action="account.change", target=f"account/{name}",
                 detail=detail)  # fmt: skip
    session.commit()
    return public(account)


@router.post("/accounts/{name}/password")
def reset_password(name: str, actor: Admin, session: SessionDep) -> IssuedPassword:
    """A new random password for someone who forgot theirs; their sessions end."""
    account = get_account(session, name)
    password = passwords.generate()
    set_password(session, account, password)
    ended = sessions.end_all(session, name)
    audit.record(session, actor=actor, action="account.password_reset",
                 target=f"account/{name}", detail={"sessions_ended": ended})  # fmt: skip
    session.commit()
    return IssuedPassword(name=name, password=password)


@router.post("/accounts/{name}/disable")
def disable(name: str, actor: Admin, session: SessionDep) -> AccountPublic:
    _not_self(actor, name, "disable")
    return _set_disabled(name, True, actor, session)


@router.post("/accounts/{name}/enable")
def enable(name: str, actor: Admin, session: SessionDep) -> AccountPublic:
    return _set_disabled(name, False, actor, session)


def _set_disabled(name: str, disabled: bool, actor: Actor, session: Session) -> AccountPublic:
    account = get_account(session, name)
    account.disabled = disabled
    session.add(account)
    ended = sessions.end_all(session, name) if disabled else 0
    action = "account.disable" if disabled else "account.enable"
    audit.record(session, actor=actor, action=action, target=f"account/{name}",
                 detail={"sessions_ended": ended} if disabled else {})  # fmt: skip
    session.commit()
    return public(account)
