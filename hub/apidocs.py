"""The OpenAPI document and its interactive page, served by the hub itself: Swagger UI's files
come from the swagger-ui-bundle package (a county intranet reaches no CDN), and both need a
viewer (in production, a token; the anonymous local viewer in local mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from hub.accounts.auth import Viewer
from hub.errors import NotFound

STATIC = "/static/apidocs"
# only these files are served; nothing else of the package is reachable
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}


def _asset_dir() -> Path:
    import swagger_ui_bundle  # type: ignore[import-untyped]

    return Path(swagger_ui_bundle.swagger_ui_path)


router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
def openapi(_: Viewer, request: Request) -> dict[str, Any]:
    app: FastAPI = request.app
    return app.openapi()


@router.get("/docs")
def docs(_: Viewer) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="bianmin hub API",
        swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC}/swagger-ui.css",
        swagger_favicon_url="data:,",
    )


@router.get(STATIC + "/{name}")
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no file {name!r}")
    body = (_asset_dir() / name).read_bytes()
    return Response(
        body, media_type=ASSETS[name], headers={"cache-control": "public, max-age=86400"}
    )
