"""Default credentials are refused outside local mode: a production hub does not start while
an account that can sign in has a well-known password (one a hand-made or copied account would
most likely hold; the hub itself never sets one, hub.accounts.passwords.problem)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from hub.accounts import passwords
from hub.accounts.store import ACCOUNTS
from hub.errors import SettingsProblem


def refuse_default_passwords(engine: Engine) -> None:
    """Raise SettingsProblem naming the accounts whose password is a well-known default.
    Costs one argon2 verification per account and default (a fraction of a second each)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ACCOUNTS.c.name, ACCOUNTS.c.password_hash).where(
                ACCOUNTS.c.password_hash.is_not(None), ACCOUNTS.c.disabled.is_(False)
            )
        ).all()
    weak = sorted(
        row.name
        for row in rows
        if any(passwords.verify(row.password_hash, p) for p in passwords.DEFAULTS_CHECKED_AT_START)
    )
    if weak:
        raise SettingsProblem(
            f"accounts {', '.join(weak)} have a well-known default password: set a new one with "
            "`bianmin hub user passwd NAME` (or disable them) before starting in production"
        )
