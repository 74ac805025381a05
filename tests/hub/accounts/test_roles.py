"""Roles: accounts rank viewer < auditor < operator < admin; the actors that are not accounts
(a unit, the hub itself) are granted nothing by the API."""

import pytest
from sqlmodel import Session

from hub.accounts.roles import ACCOUNT_ROLES, SYSTEM, Role, command_line_actor, unit_actor
from hub.accounts.store import add_account
from hub.errors import InvalidRequest


def test_account_roles_allow_their_own_rank_and_below():
    assert Role.ADMIN.allows(Role.OPERATOR)
    assert Role.OPERATOR.allows(Role.AUDITOR)
    assert Role.AUDITOR.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.AUDITOR)
    assert not Role.OPERATOR.allows(Role.ADMIN)


@pytest.mark.parametrize("role", [Role.UNIT, Role.SYSTEM])
def test_actors_that_are_not_accounts_pass_no_api_role_check(role):
    assert role not in ACCOUNT_ROLES
    assert not [needed for needed in ACCOUNT_ROLES if role.allows(needed)]
    assert not Role.OPERATOR.allows(role)  # nor is such a role ever what a route needs


def test_a_back_office_is_an_account_that_passes_no_ranked_check():
    assert Role.BACKOFFICE in ACCOUNT_ROLES
    assert not [needed for needed in (Role.VIEWER, Role.AUDITOR, Role.OPERATOR, Role.ADMIN)
                if Role.BACKOFFICE.allows(needed)]  # fmt: skip
    assert not Role.OPERATOR.allows(Role.BACKOFFICE)  # no route needs it by rank


def test_the_audit_log_names_the_hub_units_and_command_line_users_apart():
    assert (SYSTEM.name, SYSTEM.role) == ("hub", Role.SYSTEM)
    assert unit_actor("dongjie-cun") == unit_actor("dongjie-cun")
    assert unit_actor("dongjie-cun").name == "unit:dongjie-cun"
    assert command_line_actor().name.startswith("cli:")
    assert command_line_actor().role is Role.ADMIN


def test_an_account_cannot_be_given_a_role_that_is_not_an_account_role(engine):
    with Session(engine) as s, pytest.raises(InvalidRequest, match="not a system"):
        add_account(s, name="sneaky", role=Role.SYSTEM)
