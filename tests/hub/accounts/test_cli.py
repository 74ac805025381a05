"""`bianmin hub user add|passwd|list|disable`: tokens shown once, passwords never on the
command line, areas checked against the registry, every change in the audit log under the login
of whoever ran the command."""

import getpass
import json

from sqlmodel import Session
from typer.testing import CliRunner

from bianmin.cli import app
from hub import audit
from hub.accounts.store import find_by_token

runner = CliRunner()


def hub(database_url, *args):
    return runner.invoke(app, ["hub", "user", *args, "--database", database_url])


def test_adding_a_user_prints_its_token_once_and_audits_who_added_it(database_url, engine):
    added = hub(database_url, "add", "ops", "--role", "operator")
    assert added.exit_code == 0, added.stderr
    token = json.loads(added.stdout)["token"]
    listed = hub(database_url, "list")
    assert json.loads(listed.stdout)["name"] == "ops"
    assert token not in listed.stdout
    with Session(engine) as s:
        account = find_by_token(s, token)
        (entry,) = audit.recent(s, action="account.add")
    assert account is not None
    assert account.role == "operator"
    assert (entry.actor, entry.role) == (f"cli:{getpass.getuser()}", "admin")
    assert entry.detail == {"role": "operator"}


def test_only_account_roles_can_be_given(database_url):
    refused = hub(database_url, "add", "hub", "--role", "system")
    assert refused.exit_code != 0
    assert "admin, operator, auditor, viewer" in refused.stderr


def test_disabling_stops_the_token_and_an_unknown_account_is_an_error(database_url, engine):
    token = json.loads(hub(database_url, "add", "bob", "--role", "viewer").stdout)["token"]
    assert hub(database_url, "disable", "bob").exit_code == 0
    missing = hub(database_url, "disable", "nobody")
    assert missing.exit_code == 1
    assert "error (not_found)" in missing.stderr
    with Session(engine) as s:
        assert find_by_token(s, token) is None
        assert [e.target for e in audit.recent(s, action="account.disable")] == ["account/bob"]


def test_a_back_office_account_gets_its_town_or_department_as_its_scope(database_url, engine):
    from hub.accounts.scope import Scope, scope_of

    town = hub(database_url, "add", "qingshui", "--role", "backoffice", "--town", "qingshui-zhen")
    assert town.exit_code == 0, town.stderr
    assert json.loads(town.stdout)["town"] == "qingshui-zhen"
    dept = hub(database_url, "add", "minzheng", "--role", "backoffice", "--department", "县民政局")
    assert dept.exit_code == 0, dept.stderr
    with Session(engine) as s:
        assert scope_of(s, "qingshui") == Scope(town="qingshui-zhen")
        assert scope_of(s, "minzheng") == Scope(department="县民政局")
        (entry, _) = audit.recent(s, action="account.add")
    assert entry.detail == {"role": "backoffice", "department": "县民政局"}


def test_a_back_office_needs_exactly_one_known_scope(database_url):
    none = hub(database_url, "add", "a", "--role", "backoffice")
    assert none.exit_code != 0
    assert "one town" in none.stderr
    both = hub(database_url, "add", "b", "--role", "backoffice", "--town", "qingshui-zhen",
               "--department", "县民政局")  # fmt: skip
    assert both.exit_code != 0
    unknown = hub(database_url, "add", "c", "--role", "backoffice", "--town", "nowhere-zhen")
    assert unknown.exit_code != 0
    assert "nowhere-zhen" in unknown.stderr
    village_office = hub(
        database_url, "add", "e", "--role", "backoffice", "--village", "dongjie-cun"
    )
    assert village_office.exit_code != 0


def test_an_account_sees_the_town_or_village_it_is_given(database_url, engine):
    from hub.accounts.area import Area
    from hub.accounts.store import area_of, get_account

    town = hub(database_url, "add", "qs", "--role", "operator", "--town", "qingshui-zhen")
    assert town.exit_code == 0, town.stderr
    village = hub(database_url, "add", "dj", "--role", "viewer", "--village", "dongjie-cun")
    assert village.exit_code == 0, village.stderr
    unknown = hub(database_url, "add", "x", "--role", "viewer", "--village", "atlantis-cun")
    assert unknown.exit_code != 0
    assert "atlantis-cun" in unknown.stderr
    with Session(engine) as s:
        assert area_of(get_account(s, "qs")) == Area(town="qingshui-zhen")
        assert area_of(get_account(s, "dj")) == Area(village="dongjie-cun")
        assert get_account(s, "qs").password_hash is None  # no password given: token only


def test_passwd_reads_a_file_checks_the_rule_and_ends_sessions(database_url, engine, tmp_path):
    from datetime import UTC, datetime

    from hub.accounts import passwords, sessions
    from hub.accounts.store import get_account

    assert hub(database_url, "add", "li", "--role", "viewer").exit_code == 0
    with Session(engine) as s:
        sessions.start(s, account="li", now=datetime.now(UTC))
        s.commit()
    weak = tmp_path / "weak"
    weak.write_text("1234567890\n")
    refused = hub(database_url, "passwd", "li", "--password-file", str(weak))
    assert refused.exit_code == 1
    assert "weak_password" in refused.stderr
    good = tmp_path / "good"
    good.write_text("qingshui-2026-春\n")
    done = hub(database_url, "passwd", "li", "--password-file", str(good))
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"name": "li", "password_set": True, "sessions_ended": 1}
    with Session(engine) as s:
        assert passwords.verify(get_account(s, "li").password_hash, "qingshui-2026-春")
        (entry,) = audit.recent(s, action="account.password_reset")
    assert entry.target == "account/li"


def test_passwd_asks_twice_when_no_file_is_given(database_url, engine):
    from hub.accounts import passwords
    from hub.accounts.store import get_account

    assert hub(database_url, "add", "wang", "--role", "viewer").exit_code == 0
    typed = "Window-station-7\nWindow-station-7\n"
    done = runner.invoke(app, ["hub", "user", "passwd", "wang", "--database", database_url],
                         input=typed)  # fmt: skip
    assert done.exit_code == 0, done.stderr
    with Session(engine) as s:
        assert passwords.verify(get_account(s, "wang").password_hash, "Window-station-7")
