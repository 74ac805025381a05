"""The account pages: ``/account`` (who I am, my password; for admins every account) and
``/audit`` (the audit log searched by auditors, paged)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from hub import audit
from hub.accounts import passwords
from hub.accounts.api import MAX_AUDIT_PAGE, AuditFilter
from hub.accounts.area import Area
from hub.accounts.auth import Auditor, Person
from hub.accounts.roles import Role
from hub.accounts.scope import scope_of
from hub.accounts.store import area_of, get_account, list_accounts
from hub.deps import RegistryDep, SessionDep
from hub.web.pages import page

router = APIRouter(include_in_schema=False)

ROLE_LABELS = {
    "admin": "管理员",
    "operator": "运维",
    "auditor": "审计",
    "viewer": "查看",
    "backoffice": "后台办件",
}
ACTION_LABELS = {
    "account.sign_in": "登录",
    "account.sign_out": "退出",
    "account.locked": "登录锁定",
    "account.add": "新建账号",
    "account.change": "修改账号",
    "account.disable": "停用账号",
    "account.enable": "启用账号",
    "account.password_change": "修改密码",
    "account.password_reset": "重置密码",
}


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    actor: Person,
    session: SessionDep,
    registry: RegistryDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    me = get_account(session, actor.name)
    scope = scope_of(session, actor.name)
    admin = actor.role.allows(Role.ADMIN)
    # one more than the page, to know whether there is a next one
    everyone = list_accounts(session, limit=limit + 1, offset=offset) if admin else []
    context = {
        "me": me,
        "role_label": ROLE_LABELS.get(me.role, me.role),
        "area_label": area_of(me).label(registry),
        "department": scope.department if scope else None,
        "rule": passwords.RULE_TEXT,
        "is_admin": admin,
        "accounts": everyone[:limit],
        "more": len(everyone) > limit,
        "offset": offset,
        "limit": limit,
        "area_labels": {
            a.name: Area(town=a.area_town, village=a.area_village).label(registry) for a in everyone
        },
        "role_labels": ROLE_LABELS,
        "towns": registry.divisions if admin else (),
        "villages": registry.villages if admin else (),
    }
    return page(request, "account.html", context, nav="/account")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    _: Auditor,
    session: SessionDep,
    query: AuditFilter,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    # one more than the page, to know whether there is a next one
    rows = audit.search(session, query, limit=limit + 1, offset=offset)
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
    context = {
        "entries": [
            (e, json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "")
            for e in rows[:limit]
        ],
        "more": len(rows) > limit,
        "offset": offset,
        "limit": limit,
        "params": params,
        "action_labels": ACTION_LABELS,
        "role_labels": ROLE_LABELS,
    }
    return page(request, "audit.html", context, nav="/audit")
