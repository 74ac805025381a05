"""The hub's OpenAPI document, complete: besides what FastAPI derives from the routes, the
answers every route can give that no route declares (the hub's errors from hub.handlers:
401/403 from the role checks, 404 for a path naming nothing, 409 for a state that does not
allow a change, 413 from the body limit, 422 in either of its two shapes, 429 where a caller
is rate limited), how to authenticate, and a tag per part of the hub. Routes keep declaring
their own success answers (response models, PAGE_HEADERS)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

# paths anyone may call (no credentials): no 401/403 answers, no security requirement
PUBLIC = frozenset({"/healthz", "/artifacts/{sha256}", "/static/hub/{name}"})
# the routes that count calls per unit or per client address (hub.ratelimit)
RATE_LIMITED = ("/api/unit/",)
# tag by path prefix, first match wins
TAGS = (
    ("/api/units", "fleet"),
    ("/api/stats", "fleet"),
    ("/api/dead-letters", "fleet"),
    ("/api/alerts", "alerts"),
    ("/api/rollouts", "rollouts"),
    ("/api/config", "rollouts"),
    ("/api/catalog", "catalog"),
    ("/api/indicators", "indicators"),
    ("/api/calendar", "calendar"),
    ("/api/artifacts", "artifacts"),
    ("/artifacts", "artifacts"),
    ("/api/backoffice", "back office"),
    ("/api/cases/{case_id}/", "back office"),
    ("/api/cases", "cases"),
    ("/api/followups", "follow-ups"),
    ("/api/feedback", "feedback"),
    ("/api/blacklist", "blacklist"),
    ("/api/clerks", "clerks"),
    ("/api/keys", "signing keys"),
    ("/api/unit/", "units' own routes"),
    ("/api/audit", "accounts"),
    ("/api/account", "accounts"),
    ("/api/me", "accounts"),
    ("/api/hub", "accounts"),
)
BODY_METHODS = ("post", "put", "patch")
# routes that read their body themselves (a file, streamed and capped after the role check),
# so FastAPI cannot see it: what they take
_FILE = {"type": "object", "additionalProperties": True}
REQUEST_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/catalog", "post"): {
        "description": "the catalog file (JSON, UTF-8; docs/catalog.md)",
        "content": {"application/json": {"schema": _FILE}},
    },
    ("/api/calendar", "post"): {
        "description": "the working-day calendar file (JSON, UTF-8; docs/calendar.md)",
        "content": {"application/json": {"schema": _FILE}},
    },
    ("/api/artifacts", "post"): {
        "description": "the artifact's bytes",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
}
_BYTES = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
# routes whose success is not JSON
SUCCESS_CONTENT: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/cases.csv", "get"): {"text/csv": {"schema": {"type": "string"}}},
    ("/artifacts/{sha256}", "get"): _BYTES,
    ("/api/catalog/export.xlsx", "get"): {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}
        }
    },
    ("/api/catalog/export.json", "get"): {"application/json": {"schema": _FILE}},
}
# answers a route gives besides its success and the hub's errors
EXTRA_RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    ("/artifacts/{sha256}", "get"): {
        "206": {"description": "the byte range asked for (Range)", "content": _BYTES},
        "416": {"description": "a range past the end"},
    },
}

ERROR_SCHEMA: dict[str, Any] = {
    "title": "HubError",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/HubError"}


# FastAPI's own answer to a body it cannot decode (JSON that is not UTF-8)
UNREADABLE: dict[str, Any] = {
    "description": "the body cannot be read",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}}
        }
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _tag(path: str) -> str:
    pages = ("/backoffice", "/dead-letters", "/catalog", "/login", "/logout", "/account", "/audit")
    if path == "/" or path.startswith(pages):
        return "pages"
    return next((tag for prefix, tag in TAGS if path.startswith(prefix)), "hub")


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the hub-wide answers, security and tags to a document FastAPI generated."""
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["HubError"] = ERROR_SCHEMA
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "an API token"},
        "basic": {"type": "http", "scheme": "basic", "description": "account name and token"},
    }
    doc["security"] = [{"bearer": []}, {"basic": []}]
    # pages are for people, not the API: they answer HTML, errors included (a sign-in redirect,
    # a 403 page), and have no place in the API's document
    doc["paths"] = {p: item for p, item in doc.get("paths", {}).items() if not _page(item)}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            _complete_operation(path, method, op)
    return doc


def _page(item: dict[str, Any]) -> bool:
    """Every operation of the path answers HTML."""
    return all(
        "text/html" in op.get("responses", {}).get("200", {}).get("content", {})
        for op in item.values()
    )


def _complete_operation(path: str, method: str, op: dict[str, Any]) -> None:
    responses = op.setdefault("responses", {})
    op.setdefault("tags", [_tag(path)])
    if (path, method) in REQUEST_BODIES:
        op["requestBody"] = {"required": True, **REQUEST_BODIES[path, method]}
    for status, answer in EXTRA_RESPONSES.get((path, method), {}).items():
        responses.setdefault(status, answer)
    if (path, method) in SUCCESS_CONTENT:
        for status, answer in responses.items():
            if status == "200":
                answer["content"] = SUCCESS_CONTENT[path, method]
    if path in PUBLIC:
        op["security"] = []
    else:
        responses.setdefault("401", _error("no credentials, or unknown ones"))
        responses.setdefault("403", _error("the caller's role or scope does not allow this"))
    if "{" in path:
        responses.setdefault("404", _error("the path names nothing this caller may see"))
    if method in BODY_METHODS or method == "delete":
        responses.setdefault("409", _error("the current state does not allow this change"))
    if method in BODY_METHODS:
        responses.setdefault("413", _error("the body is over this route's limit"))
        responses.setdefault("400", UNREADABLE)
    if path.startswith(RATE_LIMITED):
        responses.setdefault("429", _error("too many calls; try again later"))
    # 422: FastAPI's validation errors, or the hub's own InvalidRequest (one detail object)
    invalid = responses.get("422")
    if invalid is not None:
        schema = invalid["content"]["application/json"]["schema"]
        if "anyOf" not in schema:
            invalid["content"]["application/json"]["schema"] = {"anyOf": [schema, _ERROR_REF]}
    else:
        responses["422"] = _error("the request is not valid")


def install(app: FastAPI) -> None:
    """Serve the completed document from app.openapi() (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
