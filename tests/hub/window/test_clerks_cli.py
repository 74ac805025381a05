"""`bianmin hub clerks add | list | disable | reset-pin` on the hub's machine: a made-up PIN is
printed once, a chosen one is read from standard input, every change is audited under the
login of whoever ran the command; on SQLite and PostgreSQL."""

import getpass
import json

from sqlmodel import Session
from typer.testing import CliRunner

from bianmin.cli import app
from hub import audit
from hub.window.clerks import rosters
from protocol.clerks import pin_matches

runner = CliRunner()
CLI = f"cli:{getpass.getuser()}"


def hub(database_url, *args, stdin=None):
    return runner.invoke(app, ["hub", "clerks", *args, "--database", database_url], input=stdin)


def test_clerks_are_added_listed_disabled_and_given_new_pins_with_audit(database_url, engine):
    made = hub(database_url, "add", "dongjie-cun", "--name", "王芳")
    assert made.exit_code == 0, made.stderr
    clerk = json.loads(made.stdout)
    assert clerk["role"] == "clerk"
    assert len(clerk["pin"]) == 6
    agent = hub(database_url, "add", "dongjie-cun", "--name", "李强", "--role", "agent",
                "--pin-stdin", stdin="285714\n")  # fmt: skip
    assert agent.exit_code == 0, agent.stderr
    agent_id = json.loads(agent.stdout)["id"]
    assert "pin" not in json.loads(agent.stdout)
    with Session(engine) as s:
        roster = rosters(s, ["dongjie-cun"])["dongjie-cun"]
    assert pin_matches(clerk["pin"], roster.get(clerk["id"]).pin)  # type: ignore[union-attr]
    assert pin_matches("285714", roster.get(agent_id).pin)  # type: ignore[union-attr]

    listed = [json.loads(x) for x in hub(database_url, "list").stdout.splitlines()]
    assert [c["name"] for c in listed] == ["王芳", "李强"]
    assert all("pin" not in c for c in listed)
    new = hub(database_url, "reset-pin", clerk["id"])
    assert new.exit_code == 0
    new_pin = json.loads(new.stdout)["pin"]
    assert hub(database_url, "disable", agent_id).exit_code == 0
    with Session(engine) as s:
        roster = rosters(s, ["dongjie-cun"])["dongjie-cun"]
        entries = audit.recent(s)
    assert [c.id for c in roster.clerks] == [clerk["id"]]
    assert pin_matches(new_pin, roster.clerks[0].pin)
    assert [(e.action, e.actor) for e in entries] == [
        ("clerk.disable", CLI), ("clerk.reset_pin", CLI), ("clerk.add", CLI), ("clerk.add", CLI),
    ]  # fmt: skip


def test_bad_input_is_refused_with_its_reason(database_url):
    weak = hub(database_url, "add", "dongjie-cun", "--name", "王芳", "--pin-stdin",
               stdin="111111\n")  # fmt: skip
    assert weak.exit_code == 1
    assert "error (invalid_request)" in weak.stderr
    unknown = hub(database_url, "add", "no-such-cun", "--name", "王芳")
    assert unknown.exit_code == 1
    assert "error (unknown_target)" in unknown.stderr
    role = hub(database_url, "add", "dongjie-cun", "--name", "王芳", "--role", "boss")
    assert role.exit_code == 1
    missing = hub(database_url, "disable", "ck-00000000")
    assert missing.exit_code == 1
    assert "error (not_found)" in missing.stderr
