"""Default credentials are refused outside local mode: a production hub does not start while
an enabled account that can sign in has a well-known password.

Where the hub set the password it saw it in plain text and recorded whether it is well known
(``account.password_known``; the rule refuses such passwords to people, so only code and tests
set one). A hash written outside the hub (by hand, a copied table) has no such record and is
verified against the likeliest defaults: one argon2 verification each (~0.3 s here,
bench/signin.py), paid only for such rows."""

from __future__ import annotations

from sqlalchemy import Engine, or_, select

from hub.accounts import passwords
from hub.accounts.store import ACCOUNTS
from hub.errors import SettingsProblem


def refuse_default_passwords(engine: Engine) -> None:
    """Raise SettingsProblem naming the accounts whose password is a well-known one."""
    c = ACCOUNTS.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.name, c.password_hash, c.password_known).where(
                c.password_hash.is_not(None),
                c.disabled.is_(False),
                or_(c.password_known.is_(True), c.password_known.is_(None)),
            )
        ).all()
    weak = sorted(
        row.name
        for row in rows
        if row.password_known
        or any(passwords.verify(row.password_hash, p) for p in passwords.DEFAULTS_CHECKED_AT_START)
    )
    if weak:
        raise SettingsProblem(
            f"accounts {', '.join(weak)} have a well-known default password: set a new one with "
            "`bianmin hub user passwd NAME` (or disable them) before starting in production"
        )
