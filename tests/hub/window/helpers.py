"""Credentials and records the window tests need: an operator, a unit with its token, and
registry facts about one applicant."""

from datetime import date

from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.window.registry import add_registry_records
from hub.window.tokens import issue_unit_token

REF = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
QUERY = {"applicant": REF, "materials": ["户口簿复印件", "结婚证复印件"]}


def session(client):
    return Session(client.app.state.engine)


def operator(client):
    with session(client) as s:
        token = add_account(s, name="ops", role=Role.OPERATOR)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def unit(client, unit="dongjie-cun"):
    """A fresh token for ``unit`` (rotating any earlier one), and REF's household register."""
    with session(client) as s:
        token = issue_unit_token(s, unit=unit)
        add_registry_records(
            s,
            applicant_ref=REF,
            materials=["户口簿复印件"],
            source="县公安局",
            as_of=date(2026, 1, 1),
        )
        s.commit()
    return {"Authorization": f"Bearer {token}"}
