"""Errors as HTTP answers: ``{"detail": {"code": ..., "message": ...}}`` with the status each
error class names; catalog file errors add the file and each issue (where, reason).

Routes raise only these trees (ruff bans fastapi.HTTPException). A lookup in the village
registry is turned into a hub error where it happens (hub.rollouts.plan: UnknownTarget), so
protocol's RegistryLookupError has no handler: reaching here, it would be a bug."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hub.catalog.errors import CatalogError, CatalogFileError, CatalogNotNewer
from hub.errors import HubError, Unauthorized

# One challenge per header: Chromium reads only the first scheme of a header listing several
# ("Bearer, Basic ...") and, finding Bearer, never offers a browser's Basic sign-in.
_CHALLENGES = ('Basic realm="bianmin hub", charset="UTF-8"', "Bearer")


def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    response = JSONResponse({"detail": {"code": exc.code, "message": str(exc)}}, exc.status)
    if isinstance(exc, Unauthorized):
        for challenge in _CHALLENGES:
            response.headers.append("WWW-Authenticate", challenge)
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
