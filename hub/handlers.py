"""Errors as HTTP answers: ``{"detail": {"code": ..., "message": ...}}`` with the status each
error class names; catalog file errors add the file and each issue (where, reason).

Routes raise only these trees (ruff bans fastapi.HTTPException). A lookup in the village
registry is turned into a hub error where it happens (hub.rollouts.plan: UnknownTarget), so
protocol's RegistryLookupError has no handler: reaching here, it would be a bug."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from hub.catalog.errors import CatalogError, CatalogFileError, CatalogNotNewer
from hub.errors import Forbidden, HubError, Unauthorized
from hub.web.pages import page

# Bearer only: a Basic challenge would make a browser ask for credentials it then replays on
# every request to the hub, cross-site form posts included. People sign in at /login.
_CHALLENGE = 'Bearer realm="bianmin hub"'


def _wants_page(request: Request) -> bool:
    """A browser opening a page (not the API, not a script's fetch)."""
    return (
        request.method == "GET"
        and not request.url.path.startswith("/api/")
        and "text/html" in request.headers.get("accept", "")
    )


def _hub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubError)
    if isinstance(exc, Unauthorized) and _wants_page(request):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)
    if isinstance(exc, Forbidden) and _wants_page(request):
        return page(request, "forbidden.html", {}, nav="", status_code=exc.status)
    response = JSONResponse({"detail": {"code": exc.code, "message": str(exc)}}, exc.status)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = _CHALLENGE
    return response


def _catalog_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CatalogError)
    detail: dict[str, object] = {"code": exc.code, "message": str(exc)}
    status = 422
    if isinstance(exc, CatalogFileError):
        detail["file"] = exc.file
        detail["issues"] = [i.as_json() for i in exc.issues]
    elif isinstance(exc, CatalogNotNewer):
        status = 409
    return JSONResponse({"detail": detail}, status)


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without echoing what was sent: the input may be anything (bytes that are
    not UTF-8 made FastAPI's own handler fail with a 500) and may name a person."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "type": str(e.get("type", "")),
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
        }
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, 422)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HubError, _hub_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(CatalogError, _catalog_error)
