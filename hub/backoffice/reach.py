"""Who is asking the back-office routes, and which cases they reach.

A town's office reaches the cases its villages forwarded to the town; a department's office
the cases forwarded to a department whose matter the catalog gives to that department; an
operator every forwarded case. Every other role reaches none (the back-office role, in turn,
reaches nothing outside these routes: hub.accounts.roles).

People reach them signed in (the session cookie; changes carry the CSRF token, checked by
hub.accounts.auth), automation with a Bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, false

from hub.accounts.auth import current_actor
from hub.accounts.roles import Actor, Role
from hub.accounts.scope import Scope, scope_of
from hub.cases.project import RECORDS
from hub.deps import SessionDep
from hub.errors import Forbidden, OutOfScope, Unauthorized
from protocol.catalog import Approval, Catalog
from protocol.villages import VillageRegistry


@dataclass(frozen=True)
class Reach:
    actor: Actor
    scope: Scope | None  # None: an operator, who reaches every forwarded case

    def label(self, registry: VillageRegistry) -> str:
        """The office's name as its pages show it."""
        if self.scope is None:
            return "县级运维（全部转报办件）"
        if self.scope.town is not None:
            return office_of_town(registry, self.scope.town)
        return self.scope.department or ""

    def conditions(self, registry: VillageRegistry, catalog: Catalog) -> list[ColumnElement[bool]]:
        """SQL conditions on case_record for the cases this office reaches."""
        c = RECORDS.c
        if self.scope is None:
            return [c.forwarded_to.is_not(None)]
        if self.scope.town is not None:
            try:
                units = [v.unit_id for v in registry.in_division(self.scope.town)]
            except LookupError:
                return [false()]  # a town since removed from the registry reaches nothing
            return [c.forwarded_to == Approval.TOWN.value, c.unit.in_(units)]
        matters = [m.code for m in catalog.matters if m.department == self.scope.department]
        return [c.forwarded_to == Approval.DEPARTMENT.value, c.matter_code.in_(matters)]

    def covers(self, row: Any, registry: VillageRegistry, catalog: Catalog) -> bool:
        """Whether this office reaches the case ``row`` (a case_record row)."""
        if row.forwarded_to is None:
            return False
        if self.scope is None:
            return True
        if self.scope.town is not None:
            if row.forwarded_to != Approval.TOWN.value:
                return False
            try:
                return bool(registry.village(row.unit).division == self.scope.town)
            except LookupError:
                return False
        if row.forwarded_to != Approval.DEPARTMENT.value:
            return False
        matter = next((m for m in catalog.matters if m.code == row.matter_code), None)
        return matter is not None and matter.department == self.scope.department

    def check(self, row: Any, registry: VillageRegistry, catalog: Catalog) -> None:
        if not self.covers(row, registry, catalog):
            raise OutOfScope(f"{self.actor.name} does not handle case {row.case_id}")


def office_of_town(registry: VillageRegistry, code: str) -> str:
    try:
        return f"{registry.division(code).name}便民服务中心"
    except LookupError:
        return code


def deciding_office(row: Any, registry: VillageRegistry, catalog: Catalog) -> str:
    """Who decides a forwarded case, by the case (not by who clicks): the town of its village,
    or its matter's department."""
    if row.forwarded_to == Approval.TOWN.value:
        try:
            return office_of_town(registry, registry.village(row.unit).division)
        except LookupError:
            return "镇（街道）便民服务中心"
    matter = next((m for m in catalog.matters if m.code == row.matter_code), None)
    return matter.department if matter is not None else "县级审批部门"


def _reach(actor: Actor, session: Any) -> Reach:
    if actor.role.allows(Role.OPERATOR):
        return Reach(actor, None)
    if actor.role is Role.BACKOFFICE:
        scope = scope_of(session, actor.name)
        if scope is None:
            raise Forbidden(f"{actor.name} is a back office without a town or department")
        return Reach(actor, scope)
    if actor.anonymous:
        raise Unauthorized("the back office needs an account (role backoffice or operator)")
    raise Forbidden(f"{actor.name} ({actor.role}) is not a back office")


def reach(actor: Annotated[Actor, Depends(current_actor)], session: SessionDep) -> Reach:
    return _reach(actor, session)


# one dependency for both since sessions carry the CSRF check on changes; two names so the
# routes still say which they do
Reader = Annotated[Reach, Depends(reach)]
Writer = Annotated[Reach, Depends(reach)]
