"""The catalog's pages and routes used by people signed in at /login, on SQLite and
PostgreSQL: every change made with the session cookie (the multipart import form, the JSON
forms hub.js sends) needs the session's CSRF token; only an operator acting for the whole
county imports, edits, approves or rejects; a town's or a village's operator reads the catalog
(its own villages only), is offered no change form, and is refused by every change route."""

import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session

from hub.accounts.area import COUNTY, Area
from hub.accounts.roles import Role
from hub.accounts.sessions import csrf_token
from hub.app import create_app
from hub.audit import AUDIT
from hub.settings import HubSettings
from tests.support.signin import make_account, sign_in_client

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM_TOKEN = re.compile(r'<form method="post" action="/catalog/import"[^>]*>\s*'
                        r'<input type="hidden" name="csrf_token" value="([^"]+)">')  # fmt: skip
HTML = {"accept": "text/html"}


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))
    with TestClient(app):
        yield app


def person(app: Any, name: str, role: Role = Role.OPERATOR, area: Area = COUNTY) -> TestClient:
    """A client signed in as a new account: the session cookie and its X-CSRF-Token header."""
    client = TestClient(app)
    sign_in_client(client, name, make_account(app.state.engine, name, role, area=area))
    return client


def without_header(client: TestClient) -> str:
    """Drop the client's X-CSRF-Token header (as a classic form post has none); the token."""
    return str(client.headers.pop("X-CSRF-Token"))


def workbook(client: TestClient, changes: dict[tuple[str, str], Any]) -> bytes:
    wb = load_workbook(io.BytesIO(client.get("/api/catalog/export.xlsx").content))
    for (sheet, ref), value in changes.items():
        wb[sheet][ref].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: TestClient, data: bytes, **fields: str) -> Any:
    return client.post("/catalog/import", files={"file": ("事项清单.xlsx", data, XLSX)},
                       data=fields, follow_redirects=False)  # fmt: skip


def code_of(resp: Any) -> tuple[int, str]:
    return resp.status_code, resp.json()["detail"]["code"]


def draft_count(client: TestClient) -> int:
    return int(client.get("/api/catalog/drafts").json()["total"])


def test_the_import_form_on_the_session_needs_its_csrf_token(app):
    wang = person(app, "wang")
    data = workbook(wang, {("事项", "H6"): 3})
    token = without_header(wang)
    page = wang.get("/catalog")
    match = FORM_TOKEN.search(page.text)
    assert match is not None
    assert match.group(1) == token  # the form carries the session's token

    assert code_of(upload(wang, data)) == (403, "csrf_failed")
    assert code_of(upload(wang, data, csrf_token="x" * 43)) == (403, "csrf_failed")
    assert code_of(upload(wang, data, csrf_token=csrf_token("y" * 43))) == (403, "csrf_failed")
    cross = wang.post(
        "/catalog/import",
        files={"file": ("事项清单.xlsx", data, XLSX)},
        data={"csrf_token": token},
        headers={"origin": "http://evil.example"},
    )
    assert code_of(cross) == (403, "csrf_failed")
    assert draft_count(wang) == 0

    made = upload(wang, data, csrf_token=token)
    assert made.status_code == 303, made.text
    assert made.headers["location"].startswith("/catalog/drafts/")
    assert draft_count(wang) == 1
    shown = wang.get(made.headers["location"])
    assert "BIR-005" in shown.text
    assert 'id="approve-form"' in shown.text
    with Session(app.state.engine) as s:
        created = s.execute(
            select(AUDIT.c.actor).where(AUDIT.c.action == "catalog.draft.create")
        ).scalar_one()
    assert created == "wang"  # the session's account, not anonymous


def test_the_draft_pages_json_forms_need_the_header_and_a_second_county_operator(app):
    wang, li = person(app, "wang"), person(app, "li")
    made = wang.post("/api/catalog/drafts?format=xlsx", content=workbook(wang, {("事项", "H6"): 3}),
                     headers={"content-type": XLSX})  # fmt: skip
    assert made.status_code == 201, made.text
    draft = made.json()["id"]
    approve = f"/api/catalog/drafts/{draft}/approve"

    token = without_header(li)
    assert code_of(li.post(approve, json={"canary_count": 2})) == (403, "csrf_failed")
    wrong = li.post(approve, json={"canary_count": 2}, headers={"X-CSRF-Token": "z" * 43})
    assert code_of(wrong) == (403, "csrf_failed")
    edit = f"/api/catalog/drafts/{draft}/matters/BIR-005"
    assert code_of(wang.delete(edit, headers={"X-CSRF-Token": ""})) == (403, "csrf_failed")
    assert code_of(wang.post(approve, json={})) == (403, "own_draft")

    # the draft page offers the approval to both, the edit links to its author only
    assert "/edit?code=" in wang.get(f"/catalog/drafts/{draft}").text
    seen_by_li = li.get(f"/catalog/drafts/{draft}").text
    assert 'id="approve-form"' in seen_by_li
    assert "/edit?code=" not in seen_by_li
    assert li.get(f"/catalog/drafts/{draft}/edit?code=BIR-005", headers=HTML).status_code == 403

    done = li.post(approve, json={"canary_count": 2}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["decided_by"]) == ("published", "li")


@pytest.mark.parametrize("part", ["town", "village"])
def test_an_operator_for_part_of_the_county_reads_the_catalog_but_changes_nothing(app, part):
    registry = app.state.registry
    town = registry.divisions[0].code
    own = [v.unit_id for v in registry.in_division(town)]
    area = Area(town=town) if part == "town" else Area(village=own[0])
    visible = own if part == "town" else own[:1]
    local = person(app, "local-op", Role.OPERATOR, area)
    wang = person(app, "wang")
    data = workbook(wang, {("事项", "H6"): 3})
    draft = wang.post("/api/catalog/drafts?format=xlsx", content=data,
                      headers={"content-type": XLSX}).json()["id"]  # fmt: skip

    page = local.get("/catalog")
    assert page.status_code == 200
    assert 'id="import-form"' not in page.text
    assert 'id="import-not-allowed"' in page.text
    shown = local.get(f"/catalog/drafts/{draft}").text
    assert "approve-form" not in shown
    assert "reject-form" not in shown
    assert "/edit?" not in shown
    delegated = next(m for m in app.state.catalogs.current.matters if m.delegated)
    matter = local.get(f"/catalog/matters/{delegated.code}").text
    assert "data-new-draft" not in matter
    offered = {v.unit_id for v in registry.villages if f"<span>{v.name}</span>" in matter}
    assert offered <= set(visible)
    assert offered  # only its own villages are listed

    # every change route refuses it, with the session's CSRF token sent
    token = local.headers["X-CSRF-Token"]
    refusals = [
        upload(local, data, csrf_token=token),
        local.post("/api/catalog/drafts?format=xlsx", content=data, headers={"content-type": XLSX}),
        local.post("/api/catalog/drafts/from-current"),
        local.post(f"/api/catalog/drafts/{draft}/approve", json={"canary_count": 2}),
        local.post(f"/api/catalog/drafts/{draft}/reject", json={"reason": "不同意"}),
        local.delete(f"/api/catalog/drafts/{draft}/matters/BIR-005"),
    ]
    assert [code_of(r) for r in refusals] == [(403, "forbidden")] * len(refusals)
    edit = local.get(f"/catalog/drafts/{draft}/edit?code=BIR-005", headers=HTML)
    assert edit.status_code == 403
    assert 'id="forbidden"' in edit.text
    assert draft_count(wang) == 1
    assert wang.get(f"/api/catalog/drafts/{draft}").json()["status"] == "draft"


def test_a_county_viewer_is_offered_no_change_form(app):
    zhao = person(app, "zhao", Role.VIEWER)
    page = zhao.get("/catalog").text
    assert 'id="import-form"' not in page
    assert 'id="import-not-allowed"' in page
    data = workbook(zhao, {})
    assert code_of(upload(zhao, data, csrf_token=zhao.headers["X-CSRF-Token"])) == (
        403,
        "forbidden",
    )
