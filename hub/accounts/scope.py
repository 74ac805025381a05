"""Where a back-office account may act: a town (a division of the village registry, for the
cases its villages forward to the town) or a county department (for the cases forwarded to a
department, matched by the matter's department in the catalog).

Kept in a table of its own beside ``account`` (migration 0006): an account's scope is a fact
about back offices only, and every other account reads exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Field, Session, SQLModel

from hub.errors import InvalidRequest


class AccountScope(SQLModel, table=True):
    __tablename__ = "account_scope"

    name: str = Field(primary_key=True, max_length=64)  # the account's name
    town: str | None = Field(default=None, max_length=64)  # a division code
    department: str | None = Field(default=None, max_length=100)


SCOPES = AccountScope.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Scope:
    """A back office's reach: exactly one of a town or a department."""

    town: str | None = None
    department: str | None = None

    def __post_init__(self) -> None:
        if (self.town is None) == (self.department is None):
            raise InvalidRequest("a back office serves either a town or a department")
        for value in (self.town, self.department):
            if value is not None and not 0 < len(value) <= 100:
                raise InvalidRequest("a scope is 1-100 characters")

    def as_dict(self) -> dict[str, str]:
        return {"town": self.town} if self.town else {"department": self.department or ""}


def set_scope(session: Session, name: str, scope: Scope) -> None:
    """Give account ``name`` its scope; the caller commits (with the account and the audit)."""
    row = session.get(AccountScope, name) or AccountScope(name=name)
    row.town, row.department = scope.town, scope.department
    session.add(row)


def scope_of(session: Session, name: str) -> Scope | None:
    row = session.execute(select(SCOPES).where(SCOPES.c.name == name)).first()
    if row is None:
        return None
    return Scope(town=row.town, department=row.department)
