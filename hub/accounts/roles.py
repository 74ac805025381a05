"""Roles of the hub API and the actor a request or command acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """viewer reads the fleet; auditor also reads the audit log; operator also changes things."""

    VIEWER = "viewer"
    AUDITOR = "auditor"
    OPERATOR = "operator"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANKS = {Role.VIEWER: 1, Role.AUDITOR: 2, Role.OPERATOR: 3}


@dataclass(frozen=True)
class Actor:
    """Who does something: an account, the anonymous local viewer, or a command line user."""

    name: str
    role: Role
    anonymous: bool = False
