"""Catalog drafts through the API on SQLite and PostgreSQL: an imported workbook becomes a
draft with its diff, its author cannot approve it, a second operator's approval publishes the
next version with its villages and starts the rollout, and every step is audited."""

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session

from hub.accounts.area import Area
from hub.accounts.roles import Actor, Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.audit import AUDIT
from hub.catalog.edit_api import county_operator, units_visible
from hub.catalog.versions import current_registry
from hub.errors import Forbidden
from hub.settings import HubSettings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HubClient(TestClient):
    """The hub's app with two operators (wang, li) and a viewer (zhao)."""

    tokens: dict[str, str]

    @property
    def hub_state(self) -> Any:
        return self.app.state  # type: ignore[attr-defined]

    def as_(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
def hub(database_url, tmp_path):
    app = create_app(HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path))
    with HubClient(app) as client:
        with Session(app.state.engine) as s:
            client.tokens = {n: add_account(s, name=n, role=Role.OPERATOR) for n in ("wang", "li")}
            client.tokens["zhao"] = add_account(s, name="zhao", role=Role.VIEWER)
            s.commit()
        yield client


def workbook(client, changes):
    data = client.get("/api/catalog/export.xlsx", headers=client.as_("zhao")).content
    wb = load_workbook(io.BytesIO(data))
    for (sheet, ref), value in changes.items():
        wb[sheet][ref].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_(client, data, who="wang"):
    return client.post(
        "/api/catalog/drafts?format=xlsx",
        content=data,
        headers={**client.as_(who), "content-type": XLSX},
    )


def test_an_imported_workbook_is_a_draft_showing_its_changes_field_by_field(hub):
    # BIR-005 (row 6) promised in 3 days instead of 2; BIR-006 (row 7) renamed
    data = workbook(hub, {("事项", "H6"): 3, ("事项", "B7"): "新的事项名称"})
    resp = import_(hub, data)
    assert resp.status_code == 201, resp.text
    draft = resp.json()
    assert (draft["status"], draft["author"], draft["base_version"]) == ("draft", "wang", 1)
    shown = hub.get(f"/api/catalog/drafts/{draft['id']}", headers=hub.as_("zhao")).json()
    changed = {m["code"]: m for m in shown["diff"]["matters"]}
    assert shown["diff"]["counts"] == {"added": 0, "removed": 0, "changed": 2}
    first = changed["BIR-005"]["fields"]
    assert first == [{"label": "承诺时限", "before": "2个工作日", "after": "3个工作日"}]
    assert changed["BIR-006"]["fields"][0]["label"] == "事项名称"


def test_a_workbook_with_errors_is_refused_with_sheet_row_and_column(hub):
    data = workbook(hub, {("材料", "C4"): "可能"})
    resp = import_(hub, data)
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail["code"] == "workbook_invalid"
    (issue,) = detail["issues"]
    assert (issue["sheet"], issue["row"], issue["column"], issue["cell"], issue["code"]) == (
        "材料",
        4,
        "必需",
        "C4",
        "not_yes_no",
    )
    assert issue["reason_zh"] == "应填“是”或“否”"
    drafts = hub.get("/api/catalog/drafts", headers=hub.as_("zhao")).json()
    assert drafts["total"] == 0


def test_the_author_cannot_approve_their_own_draft_and_a_second_operator_publishes_it(hub):
    draft = import_(hub, workbook(hub, {("事项", "H6"): 3})).json()
    own = hub.post(f"/api/catalog/drafts/{draft['id']}/approve", json={}, headers=hub.as_("wang"))
    assert own.status_code == 403
    assert own.json()["detail"]["code"] == "own_draft"
    viewer = hub.post(
        f"/api/catalog/drafts/{draft['id']}/approve", json={}, headers=hub.as_("zhao")
    )
    assert viewer.status_code == 403
    assert hub.get("/api/catalog", headers=hub.as_("zhao")).json()["version"] == 1

    done = hub.post(
        f"/api/catalog/drafts/{draft['id']}/approve",
        json={"canary_count": 2},
        headers=hub.as_("li"),
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["decided_by"], body["published_version"]) == ("published", "li", 2)
    assert body["rollout_id"] is not None
    summary = hub.get("/api/catalog", headers=hub.as_("zhao")).json()
    assert summary["version"] == 2
    matter = hub.get("/api/catalog/matters/BIR-005", headers=hub.as_("zhao")).json()["matter"]
    assert matter["promised_days"] == 3
    rollout = hub.get(f"/api/rollouts/{body['rollout_id']}", headers=hub.as_("zhao")).json()
    assert rollout["state"] == "running"
    assert rollout["stages"] == 2  # the canaries, then the rest
    again = hub.post(f"/api/catalog/drafts/{draft['id']}/approve", json={}, headers=hub.as_("li"))
    assert again.json()["detail"]["code"] == "draft_decided"
    with Session(hub.hub_state.engine) as s:
        actions = [r.action for r in s.execute(select(AUDIT).order_by(AUDIT.c.id))]
    assert actions[-5:] == [
        "catalog.draft.create",
        "catalog.draft.approve",
        "catalog.publish",
        "rollout.create",
        "catalog.draft.rollout",
    ]


def test_a_draft_made_before_another_version_was_published_cannot_be_approved(hub):
    first = import_(hub, workbook(hub, {("事项", "H6"): 3})).json()
    second = import_(hub, workbook(hub, {("事项", "H6"): 4})).json()
    assert (
        hub.post(
            f"/api/catalog/drafts/{first['id']}/approve", json={}, headers=hub.as_("li")
        ).status_code
        == 200
    )
    stale = hub.post(f"/api/catalog/drafts/{second['id']}/approve", json={}, headers=hub.as_("li"))
    assert stale.status_code == 409
    assert stale.json()["detail"]["code"] == "catalog_changed"


def test_an_edit_names_the_field_it_breaks_and_changes_which_villages_offer_the_matter(hub):
    draft = hub.post("/api/catalog/drafts/from-current", headers=hub.as_("wang")).json()
    matter = hub.get("/api/catalog/matters/AGR-001", headers=hub.as_("zhao")).json()
    offered = matter["offered_by"]
    body = {**matter["matter"], "promised_days": 300}
    bad = hub.put(
        f"/api/catalog/drafts/{draft['id']}/matters/AGR-001",
        json={"matter": body},
        headers=hub.as_("wang"),
    )
    assert bad.status_code == 422
    (issue,) = bad.json()["detail"]["issues"]
    assert issue["where"] == "promised_days"
    assert issue["reason_zh"] == "承诺时限（工作日）：不能大于250"
    body = {**matter["matter"], "legal_days": 25}
    fewer = offered[1:]  # the first village stops offering it
    ok = hub.put(
        f"/api/catalog/drafts/{draft['id']}/matters/AGR-001",
        json={"matter": body, "offered_by": fewer},
        headers=hub.as_("wang"),
    )
    assert ok.status_code == 200, ok.text
    other = hub.put(
        f"/api/catalog/drafts/{draft['id']}/matters/AGR-001",
        json={"matter": body},
        headers=hub.as_("li"),
    )
    assert other.json()["detail"]["code"] == "not_draft_author"
    diff = hub.get(f"/api/catalog/drafts/{draft['id']}", headers=hub.as_("zhao")).json()["diff"]
    (change,) = diff["matters"]
    labels = [f["label"] for f in change["fields"]]
    assert labels == ["法定时限", "不办理的村（社区）"]
    hub.post(f"/api/catalog/drafts/{draft['id']}/approve", json={}, headers=hub.as_("li"))
    with Session(hub.hub_state.engine) as s:
        registry = current_registry(s, hub.hub_state.registry)
    assert "AGR-001" in registry.village(offered[0]).matters_excluded
    after = hub.get("/api/catalog/matters/AGR-001", headers=hub.as_("zhao")).json()
    assert after["offered_by"] == fewer


def test_matters_are_searched_and_paginated(hub):
    page = hub.get("/api/catalog/matters?limit=10&offset=5", headers=hub.as_("zhao")).json()
    assert (page["total"], len(page["items"])) == (139, 10)
    found = hub.get("/api/catalog/matters?q=AGR-00", headers=hub.as_("zhao")).json()
    assert {m["code"] for m in found["items"]} >= {"AGR-001", "AGR-002"}
    assert hub.get("/api/catalog/matters?limit=501", headers=hub.as_("zhao")).status_code == 422


def test_json_export_imports_back_as_a_draft_without_changes(hub):
    data = hub.get("/api/catalog/export.json", headers=hub.as_("zhao")).content
    resp = hub.post("/api/catalog/drafts?format=json", content=data, headers=hub.as_("wang"))
    assert resp.status_code == 201
    diff = hub.get(f"/api/catalog/drafts/{resp.json()['id']}", headers=hub.as_("zhao")).json()
    assert diff["diff"]["matters"] == []


def test_only_a_county_operator_changes_the_catalog_and_a_town_sees_its_own_villages(hub):
    registry = hub.hub_state.registry
    town = registry.divisions[0].code
    with pytest.raises(Forbidden):
        county_operator(Actor("town-op", Role.OPERATOR, area=Area(town=town)))
    seen = units_visible(Actor("town-viewer", Role.VIEWER, area=Area(town=town)), registry)
    assert set(seen) == {v.unit_id for v in registry.in_division(town)}


def test_the_catalog_page_paginates_and_its_import_form_needs_an_operator(hub):
    page = hub.get("/catalog", headers=hub.as_("zhao"))
    assert page.status_code == 200
    assert "下一页" in page.text
    assert "content-security-policy" in page.headers
    assert 'id="import-form"' not in page.text  # a viewer is offered no import form
    assert 'id="import-form"' in hub.get("/catalog", headers=hub.as_("wang")).text
    data = hub.get("/api/catalog/export.xlsx", headers=hub.as_("zhao")).content
    refused = hub.post("/catalog/import", files={"file": ("清单.xlsx", data)},
                       headers=hub.as_("zhao"))  # fmt: skip
    assert refused.status_code == 403
    made = hub.post("/catalog/import", files={"file": ("清单.xlsx", data)},
                    headers=hub.as_("wang"), follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    assert made.headers["location"].startswith("/catalog/drafts/")
    assert "与运行版本相同" in hub.get(made.headers["location"], headers=hub.as_("zhao")).text
