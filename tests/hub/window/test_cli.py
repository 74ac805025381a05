"""`bianmin hub unit-token | blacklist | registry`: window data changed on the hub's machine,
each change in the audit log under the login of whoever ran the command."""

import getpass
import json

from sqlmodel import Session
from typer.testing import CliRunner

from bianmin.cli import app
from hub import audit
from hub.window.registry import query_registry
from hub.window.tokens import unit_for_token
from protocol.case import RegistryQuery
from tests.hub.window.helpers import REF

runner = CliRunner()
CLI = f"cli:{getpass.getuser()}"


def hub(database_url, *args):
    return runner.invoke(app, ["hub", *args, "--database", database_url])


def test_a_unit_token_is_printed_once_and_names_its_unit(database_url, engine):
    issued = hub(database_url, "unit-token", "dongjie-cun")
    assert issued.exit_code == 0, issued.stderr
    token = json.loads(issued.stdout)["token"]
    with Session(engine) as s:
        assert unit_for_token(s, token) == "dongjie-cun"
        (entry,) = audit.recent(s, action="unit.token")
    assert (entry.actor, entry.role, entry.target) == (CLI, "admin", "unit/dongjie-cun")


def test_the_blacklist_is_changed_from_the_command_line_with_audit(database_url, engine):
    added = hub(database_url, "blacklist", "add", REF, "--reason", "提供虚假材料（案号）")
    assert added.exit_code == 0, added.stderr
    (listed,) = hub(database_url, "blacklist", "list").stdout.splitlines()
    assert json.loads(listed)["listed_by"] == CLI
    assert hub(database_url, "blacklist", "remove", REF).exit_code == 0
    again = hub(database_url, "blacklist", "remove", REF)
    assert again.exit_code == 1
    assert "error (not_found)" in again.stderr
    with Session(engine) as s:
        entries = audit.recent(s)
    assert [(e.action, e.actor, e.role) for e in entries] == [
        ("blacklist.remove", CLI, "admin"),
        ("blacklist.add", CLI, "admin"),
    ]


def test_an_id_number_is_refused_where_an_hmac_reference_belongs(database_url):
    refused = hub(database_url, "blacklist", "add", "330122196805172316", "--reason", "x")
    assert refused.exit_code == 1
    assert "error (invalid_request)" in refused.stderr


def test_registry_records_answer_units_queries(database_url, engine):
    added = hub(database_url, "registry", "add", REF, "--material", "户口簿复印件")
    assert json.loads(added.stdout) == {"applicant_ref": REF, "materials": 1}
    with Session(engine) as s:
        answer = query_registry(s, RegistryQuery(applicant=REF, materials=["户口簿复印件"]))
    assert answer.found["户口簿复印件"].source == "县公安局"


def test_unit_tokens_from_provisioning_open_the_unit_routes_and_revoked_ones_close(
    database_url, engine, tmp_path
):
    """GIVEN the hashes `provision apply` wrote for two units, then one of them revoked
    WHEN the hub imports the file each time
    THEN each unit's token names it, and the revoked unit's token names no one."""
    import hashlib

    tokens = {"dongjie-cun": "bmu_" + "a" * 43, "wuli-cun": "bmu_" + "b" * 43}
    file = tmp_path / "hub-unit-tokens.json"

    def write(units, revoked):
        hashes = {u: hashlib.sha256(tokens[u].encode()).hexdigest() for u in units}
        file.write_text(json.dumps({"schema_version": 1, "units": hashes, "revoked": revoked}))

    write(["dongjie-cun", "wuli-cun"], [])
    first = hub(database_url, "unit-token-import", str(file))
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout) == {"units": 2, "revoked": 0}
    with Session(engine) as s:
        assert unit_for_token(s, tokens["wuli-cun"]) == "wuli-cun"
    write(["dongjie-cun"], ["wuli-cun"])
    second = hub(database_url, "unit-token-import", str(file))
    assert json.loads(second.stdout) == {"units": 1, "revoked": 1}
    with Session(engine) as s:
        assert unit_for_token(s, tokens["wuli-cun"]) is None
        assert unit_for_token(s, tokens["dongjie-cun"]) == "dongjie-cun"
        (entry, *_) = audit.recent(s, action="unit.token.import")
    assert entry.actor == CLI


def test_a_malformed_token_file_changes_nothing(database_url, engine, tmp_path):
    file = tmp_path / "hub-unit-tokens.json"
    file.write_text(json.dumps({"units": {"dongjie-cun": "short"}, "revoked": []}))
    result = hub(database_url, "unit-token-import", str(file))
    assert result.exit_code == 1
    assert "64 lower-case hex digits" in result.stderr


def test_a_revoked_unit_gets_no_token_from_the_command_line_or_an_import(
    database_url, engine, tmp_path
):
    """GIVEN a unit revoked on the hub (its token deleted, `provision revoke`)
    WHEN the command line issues it a token, or imports a file that names it
    THEN both are refused with a clear error, nothing is stored, and nothing opens the unit."""
    from datetime import UTC, datetime

    from hub.accounts.roles import SYSTEM
    from hub.commands.revocation import revoke

    issued = hub(database_url, "unit-token", "wuli-cun")
    old = json.loads(issued.stdout)["token"]
    with engine.begin() as conn:
        revoke(conn, unit="wuli-cun", actor=SYSTEM, now=datetime.now(UTC))
    refused = hub(database_url, "unit-token", "wuli-cun")
    assert refused.exit_code == 1
    assert "error (unit_revoked)" in refused.stderr
    assert "wuli-cun" in refused.stderr
    assert "revoked" in refused.stderr
    assert refused.stdout == ""
    file = tmp_path / "hub-unit-tokens.json"
    digest = "c" * 64
    file.write_text(json.dumps({"units": {"wuli-cun": digest}, "revoked": []}))
    imported = hub(database_url, "unit-token-import", str(file))
    assert imported.exit_code == 1
    assert "error (unit_revoked)" in imported.stderr
    with Session(engine) as s:
        assert unit_for_token(s, old) is None
        assert [e.action for e in audit.recent(s, action="unit.token")] == ["unit.token"]
    # another unit still gets one
    assert hub(database_url, "unit-token", "dongjie-cun").exit_code == 0
