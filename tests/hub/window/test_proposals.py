"""Blacklist proposals from withdrawn 容缺 cases, on SQLite and PostgreSQL: auditors read them,
operators (or someone at the hub's command line) confirm or reject, each decision audited,
and a confirmed proposal lists the applicant and marks the blacklist for delivery."""

import getpass
import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from bianmin.cli import app
from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.cases.timers import CaseTimers
from tests.hub.window.helpers import operator, session
from tests.support.cases import START
from tests.support.deficiency import REF, seed_case

WITHDRAWN_BY = datetime(2026, 12, 9, 4, tzinfo=UTC)  # after the supply date and the grace


def _withdrawn(client, **kw):
    app_ = client.app
    case = seed_case(app_.state.engine, **kw)
    timers = CaseTimers(app_.state.engine, app_.state.settings, app_.state.catalogs)
    timers.sweep_cases(datetime(2026, 12, 2, 4, tzinfo=UTC))
    timers.sweep_cases(WITHDRAWN_BY)
    return case


def _auditor(client):
    with session(client) as s:
        token = add_account(s, name="audit", role=Role.AUDITOR)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def test_an_operator_confirms_a_proposal_and_the_applicant_is_listed(client):
    case = _withdrawn(client)
    ops, auditor = operator(client), _auditor(client)
    assert client.get("/api/blacklist/proposals").status_code == 401  # not for anonymous
    page = client.get("/api/blacklist/proposals?state=proposed", headers=auditor).json()
    assert page["total"] == 1
    (proposal,) = page["proposals"]
    assert (proposal["applicant_ref"], proposal["case_id"]) == (REF, str(case.case_id))
    assert proposal["case_deficiency"] == "withdrawn"
    path = f"/api/blacklist/proposals/{proposal['id']}"
    assert client.post(f"{path}/confirm", json={}, headers=auditor).status_code == 403
    done = client.post(f"{path}/confirm", json={"note": "核实属实"}, headers=ops)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["decided_by"]) == ("confirmed", "ops")
    listed = client.get("/api/blacklist", headers=auditor).json()
    assert [(e["applicant_ref"], e["listed_by"]) for e in listed] == [(REF, "ops")]
    assert case.case_ref in listed[0]["reason"]
    again = client.post(f"{path}/reject", json={}, headers=ops)
    assert (again.status_code, again.json()["detail"]["code"]) == (409, "invalid_transition")
    delivery = client.get("/api/blacklist/delivery", headers=auditor).json()
    assert delivery["pending_changes"] == 1
    audit = client.get("/api/audit?action=blacklist.confirm", headers=auditor).json()
    assert [(a["actor"], a["target"]) for a in audit] == [("ops", f"applicant/{REF}")]
    assert audit[0]["detail"]["case"] == str(case.case_id)


def test_a_rejected_proposal_lists_nobody(client):
    _withdrawn(client)
    ops = operator(client)
    (proposal,) = client.get("/api/blacklist/proposals", headers=ops).json()["proposals"]
    got = client.post(
        f"/api/blacklist/proposals/{proposal['id']}/reject", json={"note": "因病逾期"}, headers=ops
    )
    assert (got.json()["state"], got.json()["note"]) == ("rejected", "因病逾期")
    assert client.get("/api/blacklist", headers=ops).json() == []
    assert client.get("/api/blacklist/delivery", headers=ops).json()["pending_changes"] == 0


def test_a_case_supplied_after_all_cannot_be_confirmed(client):
    """A window offline for days delivers a 补齐 made before the lapse: the case is supplied
    after all, and the proposal can only be rejected."""
    from tests.hub.cases.ingested import drain, ingest
    from tests.support.cases import envelopes, later_transition

    case = _withdrawn(client)
    late = later_transition(case.case_id, "supplied", START, materials=case.owed)
    ingest(client.app.state.engine, envelopes("xinmin-cun", [late]))
    drain(client.app.state.engine)
    ops = operator(client)
    (proposal,) = client.get("/api/blacklist/proposals", headers=ops).json()["proposals"]
    assert proposal["case_deficiency"] == "supplied"
    got = client.post(f"/api/blacklist/proposals/{proposal['id']}/confirm", json={}, headers=ops)
    assert (got.status_code, got.json()["detail"]["code"]) == (409, "conflict")


def test_proposals_are_decided_from_the_command_line_with_audit(client, database_url):
    _withdrawn(client)
    runner = CliRunner()

    def hub(*args):
        done = runner.invoke(app, ["hub", "blacklist", *args, "--database", database_url])
        assert done.exit_code == 0, done.stderr
        return done.stdout

    (line,) = hub("proposals", "--state", "proposed").splitlines()
    proposal = json.loads(line)
    assert json.loads(hub("confirm", proposal["id"], "--note", "属实"))["state"] == "confirmed"
    assert json.loads(hub("delivery"))["pending_changes"] == 1
    (entry,) = hub("list").splitlines()
    assert json.loads(entry)["applicant_ref"] == REF
    audit = client.get("/api/audit?action=blacklist.confirm", headers=operator(client)).json()
    assert audit[0]["actor"] == f"cli:{getpass.getuser()}"
    again = runner.invoke(app, ["hub", "blacklist", "confirm", proposal["id"],
                                "--database", database_url])  # fmt: skip
    assert again.exit_code == 1
    assert "invalid_transition" in again.stderr
