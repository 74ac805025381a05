"""Accounts managed from the pages by an admin, a person's own page, and the audit log searched
by auditors, on SQLite and PostgreSQL: every change audited, only admins manage accounts."""

import pytest
from fastapi.testclient import TestClient

from hub.accounts.area import Area
from hub.accounts.roles import Role
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings
from tests.support.signin import make_account, sign_in_client


@pytest.fixture
def app(database_url, tmp_path):
    create_key_file(tmp_path / "hub_signing_key.pem")
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path,
                           environment="production")  # fmt: skip
    app = create_app(settings)
    with TestClient(app):
        yield app


COUNTY = Area()


def person(app, name, role, area=COUNTY):
    client = TestClient(app)
    sign_in_client(client, name, make_account(app.state.engine, name, role, area=area))
    return client


def test_an_admin_creates_an_account_whose_password_is_shown_once_and_works(app):
    admin = person(app, "admin-li", Role.ADMIN)
    made = admin.post("/api/accounts", json={"name": "qs-viewer", "role": "viewer",
                                             "town": "qingshui-zhen"})  # fmt: skip
    assert made.status_code == 201, made.text
    issued = made.json()
    assert issued["name"] == "qs-viewer"
    assert issued["token"].startswith("bmt_")
    newcomer = TestClient(app)
    sign_in_client(newcomer, "qs-viewer", issued["password"])
    assert newcomer.get("/api/me").json()["area"]["town"] == "qingshui-zhen"
    listed = {a["name"]: a for a in admin.get("/api/accounts").json()}
    assert listed["qs-viewer"]["has_password"] is True
    assert "password" not in str(listed["qs-viewer"]).replace("has_password", "")
    unknown = admin.post("/api/accounts", json={"name": "x", "role": "viewer", "town": "nowhere"})
    assert (unknown.status_code, unknown.json()["detail"]["code"]) == (422, "unknown_target")
    again = admin.post("/api/accounts", json={"name": "qs-viewer", "role": "viewer"})
    assert again.status_code == 409


def test_an_admin_resets_moves_and_disables_and_each_ends_or_changes_access(app):
    admin = person(app, "admin-li", Role.ADMIN)
    zhang = person(app, "zhang", Role.VIEWER)
    moved = admin.patch("/api/accounts/zhang", json={"role": "auditor", "village": "dongjie-cun"})
    assert moved.json()["role"] == "auditor"
    assert zhang.get("/api/me").json() == {
        "name": "zhang", "role": "auditor", "anonymous": False,
        "area": {"town": None, "village": "dongjie-cun"},
    }  # fmt: skip
    reset = admin.post("/api/accounts/zhang/password").json()
    assert zhang.get("/api/me").status_code == 401  # the reset ended zhang's session
    sign_in_client(zhang, "zhang", reset["password"])
    assert admin.post("/api/accounts/zhang/disable").json()["disabled"] is True
    assert zhang.get("/api/me").status_code == 401
    assert admin.post("/api/accounts/zhang/enable").json()["disabled"] is False
    actions = [e["action"] for e in admin.get("/api/audit?target=account/zhang").json()]
    assert actions[:4] == ["account.enable", "account.disable", "account.sign_in",
                           "account.password_reset"]  # fmt: skip
    assert "account.change" in actions


def test_the_account_list_is_paged_on_the_page_and_in_the_api(app):
    admin = person(app, "admin-li", Role.ADMIN)
    for i in range(3):
        make_account(app.state.engine, f"v{i}", Role.VIEWER, password="Window-desk-77")
    names = [a["name"] for a in admin.get("/api/accounts?limit=2&offset=1").json()]
    assert names == ["v0", "v1"]
    first = admin.get("/account?limit=2").text
    assert "下一页" in first
    assert "上一页" not in first
    last = admin.get("/account?limit=2&offset=2").text
    assert "上一页" in last
    assert "下一页" not in last


def test_an_admin_cannot_lock_themself_out(app):
    admin = person(app, "admin-li", Role.ADMIN)
    assert admin.post("/api/accounts/admin-li/disable").status_code == 403
    assert admin.patch("/api/accounts/admin-li", json={"role": "viewer"}).status_code == 403


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AUDITOR, Role.OPERATOR, Role.BACKOFFICE])
def test_only_admins_manage_accounts(app, role):
    area = Area(town="qingshui-zhen") if role is Role.BACKOFFICE else Area()
    someone = person(app, "someone", role, area)
    assert someone.get("/api/accounts").status_code == 403
    assert someone.post("/api/accounts", json={"name": "x", "role": "admin"}).status_code == 403
    assert someone.post("/api/accounts/someone/password").status_code == 403
    # everyone, a back office included, has their own page and changes their own password
    assert someone.get("/account").status_code == 200


def test_auditors_search_the_audit_log_by_actor_action_target_and_day_in_pages(app):
    admin = person(app, "admin-li", Role.ADMIN)
    for i in range(3):
        admin.post("/api/accounts", json={"name": f"v{i}", "role": "viewer"})
    auditor = person(app, "shen", Role.AUDITOR)
    everything = auditor.get("/api/audit").json()
    assert [e["action"] for e in everything[:4]] == ["account.sign_in", "account.add",
                                                     "account.add", "account.add"]  # fmt: skip
    adds = auditor.get("/api/audit?actor=admin-li&action=account.add").json()
    assert [e["target"] for e in adds] == ["account/v2", "account/v1", "account/v0"]
    assert len(auditor.get("/api/audit?action=account.").json()) == len(everything)
    first = auditor.get("/api/audit?action=account.add&limit=2").json()
    second = auditor.get("/api/audit?action=account.add&limit=2&offset=2").json()
    assert [e["target"] for e in first + second] == ["account/v2", "account/v1", "account/v0"]
    assert auditor.get("/api/audit?from=2020-01-01&to=2020-12-31").json() == []
    assert auditor.get("/api/audit?from=2026-02-01&to=2026-01-01").status_code == 422
    assert auditor.get("/api/audit?limit=501").status_code == 422
    page = auditor.get("/audit?action=account.add&limit=2")
    assert page.status_code == 200
    assert "account/v2" in page.text
    assert "account/v0" not in page.text
    assert "下一页" in page.text
    assert "上一页" not in page.text
    viewer = person(app, "view", Role.VIEWER)
    assert viewer.get("/api/audit").status_code == 403
    assert viewer.get("/audit").status_code == 403
    shown = viewer.get("/audit", headers={"accept": "text/html"})
    assert shown.status_code == 403
    assert "无权访问" in shown.text  # a page for a browser, not JSON
