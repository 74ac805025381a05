"""Forwarded cases on a test hub, and back-office accounts with their scopes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.scope import Scope, set_scope
from hub.accounts.store import add_account
from protocol.catalog import Approval, Matter
from simulators.cases import seed_matters
from tests.hub.cases.ingested import drain, ingest
from tests.support.cases import START, ScriptedCase, envelopes, matter_where

TOWN = matter_where(approval=Approval.TOWN)


def department_matter() -> Matter:
    for m in seed_matters():
        if m.approval is Approval.DEPARTMENT and m.delegated:
            return m
    raise LookupError("no delegated department matter in the seed")


DEPARTMENT = department_matter()


def account(client, name: str, role: Role, scope: Scope | None = None) -> dict[str, str]:
    with Session(client.app.state.engine) as s:
        token = add_account(s, name=name, role=role)
        if scope is not None:
            set_scope(s, name, scope)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def town_office(client, town: str = "qingshui-zhen", name: str = "qingshui") -> dict[str, str]:
    return account(client, name, Role.BACKOFFICE, Scope(town=town))


def forwarded(client, unit: str, matter: Matter = TOWN, hours: int = 0) -> uuid.UUID:
    """A case forwarded from ``unit``'s window, ingested and projected; its id."""
    case = ScriptedCase(unit, matter, start=START + timedelta(hours=hours), clerk="c01")
    events = envelopes(unit, case.transitions(), seq0=1000 * (hours + 1))
    ingest(client.app.state.engine, events)
    drain(client.app.state.engine)
    return events[0].body.case_id
