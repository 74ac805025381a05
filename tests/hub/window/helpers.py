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


def rotate(client, **kw):
    """`bianmin hub id-key rotate` against the app's database and key files (hub.window.
    rekey); the app reads the generation again on its next request."""
    from hub.accounts.roles import command_line_actor
    from hub.window.idkey import load_id_key
    from hub.window.rekey import rotate as rotate_references

    settings = client.app.state.settings
    load_id_key(settings)  # made on first use in local mode; the chain keys go beside it
    client.app.state.id_generations = None
    return rotate_references(
        client.app.state.engine, key_file=settings.id_key_path, keys=client.app.state.keys,
        actor=command_line_actor(), strict=False, **kw,
    )  # fmt: skip
