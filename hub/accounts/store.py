"""Accounts of the hub API: a name, a role and an API token stored only as a hash.

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

from hub.accounts.roles import ACCOUNT_ROLES, Role
from hub.errors import AccountExists, InvalidRequest
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


class AccountPublic(AccountBase):
    created_at: datetime
    disabled: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def add_account(session: Session, *, name: str, role: Role) -> str:
    """Add an account and return its token, shown once and never stored. The caller commits
    (with the audit entry)."""
    if not _NAME.match(name):
        raise InvalidRequest(f"account name {name!r}: use 1-64 of a-z 0-9 _ . -")
    if role not in ACCOUNT_ROLES:
        raise InvalidRequest(
            f"an account is a viewer, an auditor, an operator or a back office, not a {role}"
        )
    if session.get(Account, name) is not None:
        raise AccountExists(f"account {name!r} exists already")
    token = new_token()
    session.add(
        Account(
            name=name, role=role.value, token_hash=hash_token(token), created_at=datetime.now(UTC)
        )
    )
    return token


def find_by_token(session: Session, token: str) -> Account | None:
    stmt = select(Account).where(Account.token_hash == hash_token(token))  # type: ignore[arg-type]
    account = session.execute(stmt).scalar_one_or_none()
    return None if account is None or account.disabled else account


def list_accounts(session: Session) -> list[AccountPublic]:
    rows = session.execute(select(Account).order_by(Account.name)).scalars()
    return [AccountPublic.model_validate(a.model_dump(exclude={"token_hash"})) for a in rows]


def disable_account(session: Session, *, name: str) -> bool:
    """Disable an account (its token stops working); the caller commits."""
    account = session.get(Account, name)
    if account is None:
        return False
    account.disabled = True
    session.add(account)
    return True
