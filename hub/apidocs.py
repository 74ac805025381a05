"""The OpenAPI document and its interactive page, served by the hub itself: Swagger UI 5
(npm swagger-ui-dist, which reads the OpenAPI 3.1 FastAPI writes) comes from
hub/web/node_modules through /static/vendor (a county intranet reaches no CDN), started by
our own /static/hub/apidocs.js under the pages' CSP (no inline script). Both need a viewer:
a signed-in person's session cookie or a token in production, the anonymous local viewer in
local mode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from hub.accounts.auth import Viewer
from hub.web import vendor
from hub.web.pages import HEADERS

OPENAPI_URL = "/openapi.json"
LIBRARY = ("swagger-ui-bundle.js", "swagger-ui.css")

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>便民中心服务器 API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{prefix}/swagger-ui.css">
</head>
<body>
{missing}<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{prefix}/swagger-ui-bundle.js"></script>
<script src="/static/hub/apidocs.js"></script>
</body>
</html>
"""
# shown when `make web` has not run: the page still links the raw document
_MISSING = (
    '<p id="swagger-missing" role="alert">接口文档组件（Swagger UI）未安装，无法显示交互页面：'
    "请在中心服务器上运行 <code>make web</code>。接口文档本身见 "
    '<a href="{openapi_url}">{openapi_url}</a>。</p>\n'
)

router = APIRouter(include_in_schema=False)


@router.get(OPENAPI_URL)
def openapi(_: Viewer, request: Request) -> dict[str, Any]:
    app: FastAPI = request.app
    return app.openapi()


@router.get("/docs")
def docs(_: Viewer) -> HTMLResponse:
    installed = all([vendor.available(name) for name in LIBRARY])
    missing = "" if installed else _MISSING.format(openapi_url=OPENAPI_URL)
    html = _PAGE.format(prefix=vendor.PREFIX, openapi_url=OPENAPI_URL, missing=missing)
    return HTMLResponse(html, headers=HEADERS)
