"""Accounts: a name, a role, an area (hub.accounts.area), an API token stored only as a hash
and, for people who sign in to the pages, an argon2 password hash (hub.accounts.passwords).

Tokens are 256-bit random strings made by the hub, not passwords people choose, so a single
SHA-256 is enough to make a stolen table useless (no dictionary to try) and lets the hub find
an account by the token's hash with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Field, Session, SQLModel

from hub.accounts import passwords
from hub.accounts.area import COUNTY, Area
from hub.accounts.roles import ACCOUNT_ROLES, Role
from hub.errors import AccountExists, InvalidRequest, NotFound
from hub.models import _utc

TOKEN_PREFIX = "bmt_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class AccountBase(SQLModel):
    name: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=16)


class Account(AccountBase, table=True):
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _utc(nullable=False)
    disabled: bool = False
    # None: the account has no password and cannot sign in to the pages (an API token only)
    password_hash: str | None = Field(default=None, max_length=256)
    password_changed_at: datetime | None = _utc(nullable=True)
    # whether the password is a well-known one, seen in plain text when the hub set it; None:
    # the hash was written outside the hub (by hand, a copied table), so a production hub
    # verifies it against the well-known defaults at start instead (hub.accounts.defaults)
    password_known: bool | None = None
    # where the account sees and acts: both None is the county (hub.accounts.area)
    area_town: str | None = Field(default=None, max_length=64)
    area_village: str | None = Field(default=None, max_length=64)


ACCOUNTS = Account.__table__  # type: ignore[attr-defined]


class AccountPublic(AccountBase):
    created_at: datetime
    disabled: bool
    area_town: str | None = None
    area_village: str | None = None
    has_password: bool = False


class AccountNotFound(NotFound):
    code = "account_not_found"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def add_account(session: Session, *, name: str, role: Role, area: Area = COUNTY) -> str:
    """Add an account and return its token, shown once and never stored. The caller commits
    (with the audit entry)."""
    if not _NAME.match(name):
        raise InvalidRequest(f"account name {name!r}: use 1-64 of a-z 0-9 _ . -")
    if role not in ACCOUNT_ROLES:
        raise InvalidRequest(
            "an account is a viewer, an auditor, an operator, an admin or a back office, "
            f"not a {role}"
        )
    if session.get(Account, name) is not None:
        raise AccountExists(f"account {name!r} exists already")
    token = new_token()
    session.add(
        Account(
            name=name,
            role=role.value,
            token_hash=hash_token(token),
            created_at=datetime.now(UTC),
            area_town=area.town,
            area_village=area.village,
        )
    )
    return token


def find_by_token(session: Session, token: str) -> Account | None:
    stmt = select(Account).where(Account.token_hash == hash_token(token))  # type: ignore[arg-type]
    account = session.execute(stmt).scalar_one_or_none()
    return None if account is None or account.disabled else account


def public(account: Account) -> AccountPublic:
    # attribute by attribute: after a commit the row is expired and model_dump() reads nothing
    return AccountPublic(
        name=account.name,
        role=account.role,
        created_at=account.created_at,
        disabled=account.disabled,
        area_town=account.area_town,
        area_village=account.area_village,
        has_password=bool(account.password_hash),
    )


def list_accounts(
    session: Session, *, limit: int | None = None, offset: int = 0
) -> list[AccountPublic]:
    stmt = select(Account).order_by(Account.name).offset(offset)
    rows = session.execute(stmt.limit(limit) if limit is not None else stmt).scalars()
    return [public(a) for a in rows]


def get_account(session: Session, name: str) -> Account:
    account = session.get(Account, name)
    if account is None:
        raise AccountNotFound(f"no account {name!r}")
    return account


def area_of(account: Account) -> Area:
    return Area(town=account.area_town, village=account.area_village)


def set_area(account: Account, area: Area) -> None:
    """Move ``account`` to ``area``; the caller checks it against the registry and commits."""
    account.area_town, account.area_village = area.town, area.village


def set_password(session: Session, account: Account, password: str) -> None:
    """Store ``password``'s argon2 hash and whether it is a well-known one; the caller checked
    the rule (where a person chose it), ends the other sessions and commits."""
    account.password_hash = passwords.hash_password(password)
    account.password_known = passwords.well_known(password)
    account.password_changed_at = datetime.now(UTC)
    session.add(account)


def disable_account(session: Session, *, name: str) -> bool:
    """Disable an account (its token stops working); the caller commits."""
    account = session.get(Account, name)
    if account is None:
        return False
    account.disabled = True
    session.add(account)
    return True
