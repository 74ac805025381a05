"""Who may call what: every route of the hub is in TABLE with the callers it admits, and each
kind of caller is tried on each route (SQLite and PostgreSQL). An admitted call is never
answered 401/403; a refused one always is. A route missing from the table fails the test, so
a new route cannot ship without saying who may call it: add its row (one line).

Callers: ``anonymous`` (production, no credentials), ``anonymous-local`` (local mode, no
credentials: the demo's read-only viewer), ``viewer``, ``auditor``, ``operator``, ``admin``
(API tokens of those roles), ``backoffice`` (a town's office), ``unit`` (a unit's own token).
Sessions and their CSRF tokens are tests/hub/accounts' business: a role is the same whichever
way it signed in."""

from __future__ import annotations

import uuid

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.roles import Role
from hub.accounts.scope import Scope, set_scope
from hub.accounts.store import add_account
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings
from hub.window.tokens import issue_unit_token
from protocol.command import KINDS

CALLERS = (
    "anonymous",
    "anonymous-local",
    "viewer",
    "auditor",
    "operator",
    "admin",
    "backoffice",
    "unit",
)

# groups of callers, named by what they admit
EVERYONE = frozenset(CALLERS)
NOBODY: frozenset[str] = frozenset()
READERS = frozenset({"anonymous-local", "viewer", "auditor", "operator", "admin"})  # Viewer
AUDITORS = frozenset({"auditor", "operator", "admin"})  # Auditor: cases, dead letters, people
OPERATORS = frozenset({"operator", "admin"})  # Operator: every change
ADMINS = frozenset({"admin"})  # Admin: accounts and their areas
PEOPLE = frozenset({"viewer", "auditor", "operator", "admin", "backoffice"})  # any account
OFFICES = frozenset({"backoffice", "operator", "admin"})  # back-office reads and steps
UNITS = frozenset({"unit"})  # a unit's own routes

TABLE: dict[tuple[str, str], frozenset[str]] = {
    # public: health, the pages' static files, artifacts (units verify the signed hash), the
    # case page a slip's QR code opens
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/static/hub/{name}"): EVERYONE,
    ("GET", "/static/vendor/{name}"): EVERYONE,
    ("GET", "/backoffice/static/backoffice.js"): EVERYONE,
    ("GET", "/artifacts/{sha256}"): EVERYONE,
    ("GET", "/c/{token}"): EVERYONE,
    ("POST", "/c/{token}/feedback"): EVERYONE,
    # signing in and out: a sign-in needs the sign-in form's own CSRF token, which no caller
    # here sends, so everyone is refused (tests/hub/accounts sign in with the form)
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): NOBODY,
    ("POST", "/logout"): EVERYONE,
    # an account's own page and password, whatever its role
    ("GET", "/account"): PEOPLE,
    ("POST", "/api/account/password"): PEOPLE,
    # the fleet, rollouts, the catalog, the calendar, alerts: anyone who may read
    ("GET", "/"): READERS,
    ("GET", "/metrics"): READERS,
    ("GET", "/openapi.json"): READERS,
    ("GET", "/docs"): READERS,
    ("GET", "/api/me"): READERS,
    ("GET", "/api/hub/public-key"): READERS,
    ("GET", "/api/units"): READERS,
    ("GET", "/api/units/{unit_id}"): READERS,
    ("GET", "/api/units/{unit_id}/events"): READERS,
    ("GET", "/api/units/{unit_id}/commands"): READERS,
    ("GET", "/api/commands/{command_id}"): READERS,
    ("GET", "/api/command-kinds"): READERS,
    ("GET", "/api/stats"): READERS,
    ("GET", "/api/catalog"): READERS,
    ("GET", "/api/catalog/indicators"): READERS,
    ("GET", "/api/calendar"): READERS,
    ("GET", "/api/calendar/document"): READERS,
    ("GET", "/api/artifacts"): READERS,
    ("GET", "/api/artifacts/{sha256}"): READERS,
    ("GET", "/api/rollouts"): READERS,
    ("GET", "/api/rollouts/{rollout_id}"): READERS,
    ("GET", "/api/rollouts/{rollout_id}/units"): READERS,
    ("GET", "/api/config/units"): READERS,
    ("GET", "/api/alerts"): READERS,
    ("GET", "/api/indicators"): READERS,
    ("GET", "/fleet"): READERS,
    ("GET", "/fleet/{unit_id}"): READERS,
    ("GET", "/alerts"): READERS,
    ("GET", "/rollouts"): READERS,
    ("GET", "/rollouts/{rollout_id}"): READERS,
    ("GET", "/indicators"): READERS,
    ("GET", "/api/catalog/matters"): READERS,
    ("GET", "/api/catalog/matters/{code}"): READERS,
    ("GET", "/api/catalog/export.json"): READERS,
    ("GET", "/api/catalog/export.xlsx"): READERS,
    ("GET", "/api/catalog/drafts"): READERS,
    ("GET", "/api/catalog/drafts/{draft_id}"): READERS,
    ("GET", "/catalog"): READERS,
    ("GET", "/catalog/matters/{code}"): READERS,
    ("GET", "/catalog/drafts/{draft_id}"): READERS,
    # what units sent and what names people: auditors
    ("GET", "/dead-letters"): AUDITORS,
    ("GET", "/api/dead-letters"): AUDITORS,
    ("GET", "/api/audit"): AUDITORS,
    ("GET", "/audit"): AUDITORS,
    ("GET", "/cases"): AUDITORS,
    ("GET", "/cases/{case_id}"): AUDITORS,
    ("GET", "/cases/deficient"): AUDITORS,
    ("GET", "/cases/due"): AUDITORS,
    ("GET", "/cases/forwarded"): AUDITORS,
    ("GET", "/cases/followups"): AUDITORS,
    ("GET", "/cases/feedback"): AUDITORS,
    ("GET", "/cases/blacklist"): AUDITORS,
    ("GET", "/api/cases"): AUDITORS,
    ("GET", "/api/cases.csv"): AUDITORS,
    ("GET", "/api/cases/counts"): AUDITORS,
    ("GET", "/api/cases/{case_id}"): AUDITORS,
    ("GET", "/api/blacklist"): AUDITORS,
    ("GET", "/api/blacklist/proposals"): AUDITORS,
    ("GET", "/api/blacklist/delivery"): AUDITORS,
    ("GET", "/api/followups"): AUDITORS,
    ("GET", "/api/followups/{followup_id}"): AUDITORS,
    ("GET", "/api/feedback"): AUDITORS,
    # changes: operators
    ("POST", "/api/catalog"): OPERATORS,
    ("POST", "/api/calendar"): OPERATORS,
    ("POST", "/api/artifacts"): OPERATORS,
    ("POST", "/api/rollouts"): OPERATORS,
    ("POST", "/api/rollouts/{rollout_id}/pause"): OPERATORS,
    ("POST", "/api/units/{unit_id}/commands"): OPERATORS,
    ("POST", "/api/units/{unit_id}/credentials/rotate"): OPERATORS,  # provisioning's
    ("POST", "/api/units/{unit_id}/revoke"): OPERATORS,
    ("POST", "/api/rollouts/{rollout_id}/resume"): OPERATORS,
    ("POST", "/api/rollouts/{rollout_id}/rollback"): OPERATORS,
    ("POST", "/api/blacklist"): OPERATORS,
    ("DELETE", "/api/blacklist/{applicant_ref}"): OPERATORS,
    ("POST", "/api/blacklist/proposals/{proposal_id}/confirm"): OPERATORS,
    ("POST", "/api/blacklist/proposals/{proposal_id}/reject"): OPERATORS,
    ("GET", "/api/clerks"): OPERATORS,  # PIN holders: operators only
    ("POST", "/api/clerks"): OPERATORS,
    ("POST", "/api/clerks/{clerk_id}/disable"): OPERATORS,
    # the hub's signing-key ring: county operators (hub/signing/api.py)
    ("GET", "/api/keys"): OPERATORS,
    ("POST", "/api/keys/rotate"): OPERATORS,
    ("POST", "/api/keys/promote"): OPERATORS,
    ("POST", "/api/keys/retire"): OPERATORS,
    ("POST", "/api/followups/{followup_id}/{step}"): OPERATORS,
    ("POST", "/api/feedback/{feedback_id}/handle"): OPERATORS,
    ("POST", "/api/alerts/{alert_id}/acknowledge"): OPERATORS,
    ("POST", "/api/catalog/drafts"): OPERATORS,
    ("POST", "/api/catalog/drafts/from-current"): OPERATORS,
    ("PUT", "/api/catalog/drafts/{draft_id}/matters/{code}"): OPERATORS,
    ("DELETE", "/api/catalog/drafts/{draft_id}/matters/{code}"): OPERATORS,
    ("POST", "/api/catalog/drafts/{draft_id}/reject"): OPERATORS,
    ("POST", "/api/catalog/drafts/{draft_id}/approve"): OPERATORS,
    ("POST", "/api/catalog/drafts/{draft_id}/rollout"): OPERATORS,
    ("GET", "/catalog/drafts/{draft_id}/edit"): OPERATORS,
    ("POST", "/catalog/import"): OPERATORS,
    # accounts: admins
    ("GET", "/api/accounts"): ADMINS,
    ("POST", "/api/accounts"): ADMINS,
    ("PATCH", "/api/accounts/{name}"): ADMINS,
    ("POST", "/api/accounts/{name}/password"): ADMINS,
    ("POST", "/api/accounts/{name}/disable"): ADMINS,
    ("POST", "/api/accounts/{name}/enable"): ADMINS,
    ("POST", "/api/residents/{ref}/erase"): ADMINS,  # county-wide admins (hub.residents)
    # the back offices (a town's or a department's) and operators
    ("GET", "/backoffice"): OFFICES,
    ("GET", "/backoffice/cases/{case_id}"): OFFICES,
    ("GET", "/api/backoffice/queue"): OFFICES,
    ("GET", "/api/backoffice/cases/{case_id}"): OFFICES,
    ("POST", "/api/cases/{case_id}/receive"): OFFICES,
    ("POST", "/api/cases/{case_id}/correction"): OFFICES,
    ("POST", "/api/cases/{case_id}/resubmitted"): OFFICES,
    ("POST", "/api/cases/{case_id}/complete"): OFFICES,
    ("POST", "/api/cases/{case_id}/reject"): OFFICES,
    ("POST", "/api/cases/{case_id}/handover"): OFFICES,
    # a unit's own routes, with its unit token
    ("POST", "/api/unit/registry/query"): UNITS,
    ("POST", "/api/unit/identity/reference"): UNITS,
    ("POST", "/api/unit/identity/reference/later"): UNITS,
    ("POST", "/api/unit/identity/reference/chain"): UNITS,
    ("POST", "/api/unit/cases/owed"): UNITS,
}

# a value for each path parameter: well-formed, naming nothing that exists
PATH_VALUES = {
    "unit_id": "dongjie-cun",
    "rollout_id": "999",
    "alert_id": "999",
    "case_id": str(uuid.UUID(int=0)),
    "command_id": str(uuid.UUID(int=0)),
    "followup_id": str(uuid.UUID(int=0)),
    "feedback_id": str(uuid.UUID(int=0)),
    "proposal_id": str(uuid.UUID(int=0)),
    "sha256": "0" * 64,
    "applicant_ref": "0123456789abcdef0123456789abcdef",
    "ref": "0123456789abcdef0123456789abcdef",
    "clerk_id": "ck-00000000",
    "draft_id": "999",
    "code": "NO-SUCH-MATTER",
    "step": "verify",
    "token": "A" * 22,
    "name": "hub.css",
}
REFUSED = (401, 403)
# every call comes from the hub's own site: a cross-site refusal (CSRF) is not a role's
SAME_SITE = {"Origin": "http://testserver"}


def routes(app) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, str(route.path)))
    return found


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"add a value for the parameter in {path} to PATH_VALUES"
    return path


def _app(database_url, tmp_path, environment):
    data = tmp_path / environment
    data.mkdir()
    if environment == "production":
        create_key_file(data / "hub_signing_key.pem")
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=data, environment=environment
    )
    return create_app(settings)


@pytest.fixture
def clients(database_url, tmp_path):
    """A client per caller: production for all but anonymous-local."""
    production = _app(database_url, tmp_path, "production")
    with TestClient(production) as prod, TestClient(_app(database_url, tmp_path, "local")) as loc:
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        with Session(production.state.engine) as s:
            for role in (Role.VIEWER, Role.AUDITOR, Role.OPERATOR, Role.ADMIN, Role.BACKOFFICE):
                token = add_account(s, name=f"t-{role}", role=role)
                headers[str(role)] = {"Authorization": f"Bearer {token}"}
            set_scope(s, f"t-{Role.BACKOFFICE}", Scope(town="qingshui-zhen"))
            headers["unit"] = {"Authorization": f"Bearer {issue_unit_token(s, unit='dongjie-cun')}"}
            s.commit()
        yield {caller: (loc if caller == "anonymous-local" else prod, h) for caller, h in
               {**headers, "anonymous-local": {}}.items()}  # fmt: skip


def test_every_route_is_in_the_table(tmp_path):
    app = _app(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, "local")
    served = set(routes(app))
    missing = sorted(served - set(TABLE))
    assert not missing, f"say who may call these routes in TABLE: {missing}"
    gone = sorted(set(TABLE) - served)
    assert not gone, f"TABLE names routes the hub no longer serves: {gone}"
    app.state.engine.dispose()


def test_each_caller_may_call_exactly_what_the_table_says(clients):
    wrong = []
    for (method, path), admitted in TABLE.items():
        url = concrete(path)
        for caller in CALLERS:
            client, headers = clients[caller]
            status = client.request(method, url, headers={**SAME_SITE, **headers}).status_code
            if (caller in admitted) == (status in REFUSED):
                expected = "admitted" if caller in admitted else "refused"
                wrong.append(f"{method} {path} as {caller}: {status}, should be {expected}")
    assert not wrong, "\n".join(wrong)


# a valid argument set for each kind an operator may issue on the generic route, and for each
# kind with a route of its own
KIND_ARGS = {
    "diagnostics": {"log_lines": 20},
    "rotate_credentials": {"password": "p" * 32, "generation": 2},
    "erase_resident": {"applicant": "0123456789abcdef0123456789abcdef"},
}


def test_a_kind_with_its_own_route_is_refused_on_the_generic_command_route(clients):
    """Every kind through the generic route, as an operator and as an admin: those the kind
    table lets operators issue are issued; the others are refused (403) naming their route,
    whatever their arguments, and the unit gets no command."""
    assert set(KIND_ARGS) - set(KINDS) == set()
    url = concrete("/api/units/{unit_id}/commands")
    wrong = []
    for caller in ("operator", "admin"):
        client, headers = clients[caller]
        for name, spec in KINDS.items():
            body = {"name": name, "args": KIND_ARGS.get(name, {})}
            got = client.post(url, json=body, headers={**SAME_SITE, **headers})
            want = 201 if spec.operator_may_issue else 403
            if got.status_code != want:
                wrong.append(f"{name} as {caller}: {got.status_code} {got.text[:200]}")
            elif not spec.operator_may_issue and not any(
                # a route, or the command on the hub's machine that issues it (rekey_references)
                where in got.json()["detail"]["message"]
                for where in ("/api/", "bianmin hub ")
            ):
                wrong.append(f"{name} as {caller}: the refusal names no route: {got.text}")
    assert not wrong, "\n".join(wrong)
    client, headers = clients["operator"]
    listed = client.get(url, headers=headers, params={"limit": 200}).json()
    issued = {c["name"] for c in listed}
    assert issued == {n for n, k in KINDS.items() if k.operator_may_issue}


def test_credentials_are_rotated_on_their_own_route_without_keeping_the_password(clients):
    client, headers = clients["operator"]
    url = concrete("/api/units/{unit_id}/credentials/rotate")
    made = client.post(
        url, json={"password": "p" * 32, "generation": 2}, headers={**SAME_SITE, **headers}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["args"]) == ("rotate_credentials", {"generation": 2})
    short = client.post(
        url, json={"password": "short", "generation": 2}, headers={**SAME_SITE, **headers}
    )
    assert short.status_code == 422
