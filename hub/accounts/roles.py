"""Roles and actors: who does something on the hub, as the API checks it and as the audit
log records it."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from enum import StrEnum

from hub.accounts.area import COUNTY, Area


class Role(StrEnum):
    """viewer reads the fleet; auditor also reads the audit log and cases; operator also
    changes things; admin also manages people's accounts.

    backoffice is an account outside that ladder (rank 0): a town's or a department's office,
    which reads and acts on the forwarded cases of its scope only (hub.backoffice), and nothing
    else. unit and system are not accounts' roles: they name actors that act without an
    account, and the API never grants them anything (rank 0). admin is both an account's role
    and the role the audit log gives someone running `bianmin hub ...` on the hub's machine
    (they hold the database itself)."""

    VIEWER = "viewer"
    AUDITOR = "auditor"
    OPERATOR = "operator"
    BACKOFFICE = "backoffice"  # scoped to a town or a department (hub.accounts.scope)
    UNIT = "unit"  # a village unit with its own token, which opens the unit routes only
    ADMIN = "admin"  # accounts and areas; also whoever runs `bianmin hub ...` on the hub
    SYSTEM = "system"  # the hub itself

    @property
    def rank(self) -> int:
        return _RANKS.get(self, 0)

    def allows(self, needed: Role) -> bool:
        # a role outside the ranks is neither granted nor needed by an API check
        return needed in _RANKS and self.rank >= _RANKS[needed]


_RANKS = {Role.VIEWER: 1, Role.AUDITOR: 2, Role.OPERATOR: 3, Role.ADMIN: 4}
ACCOUNT_ROLES = (*_RANKS, Role.BACKOFFICE)


@dataclass(frozen=True)
class Actor:
    """Who does something: an account, the anonymous local viewer, a unit, a command line
    user, or the hub itself."""

    name: str
    role: Role
    anonymous: bool = False
    area: Area = COUNTY  # where the account sees and acts (hub.accounts.area)


# the hub's own actions (a threshold pausing a rollout, a rollout completing)
SYSTEM = Actor("hub", Role.SYSTEM)


def unit_actor(unit: str) -> Actor:
    return Actor(f"unit:{unit}", Role.UNIT)


def command_line_actor() -> Actor:
    """The person running a `bianmin hub` command: they hold the database itself, so the log
    names their login rather than an account."""
    return Actor(f"cli:{getpass.getuser()}", Role.ADMIN)
