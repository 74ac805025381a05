"""The pages' own stylesheet and script, and the front-end libraries installed from the npm
registry by the project's files (see hub/web/package.json), served by the hub itself."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from hub.errors import NotFound

router = APIRouter()

_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
# a fixed set, so a path from the URL never reaches the file system
_FILES = (
    "hub.css",
    "hub.js",
    "account.css",
    "account.js",
    "catalog.css",
    "catalog.js",
    "cases.css",
    "indicators.css",
    "indicators.js",
    "fleet.css",  # the fleet, alert and rollout pages and the overview
    "rollouts.js",
    "apidocs.js",  # starts Swagger UI on /docs (the CSP allows no inline script)
)


@router.get("/static/hub/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    if name not in _FILES:
        raise NotFound(f"no static file {name!r}")
    body = (resources.files("hub.web") / "static" / name).read_bytes()
    suffix = name[name.rfind(".") :]
    return Response(
        body, media_type=_TYPES[suffix], headers={"cache-control": "public, max-age=300"}
    )
