"""A fake balena API: exactly the endpoints balena-sdk 17.3.0 calls for provisioning, so the
balena backend is tested against the real SDK without reaching the cloud.

The endpoints were recorded from the SDK's own requests (a recording server answering every
call, then the SDK's code read for what it expects back); /work/shared/notes/device_libs.md
§5 lists them. Anything else is answered 501 with the request line, so an SDK upgrade that
calls something new fails loudly instead of passing by accident.

Pine (OData) rules the SDK relies on: a GET answers ``{"d": [...]}`` (a keyed lookup too,
and the SDK takes ``d[0]``); a POST answers the created object with 201; an upsert falls back
to PATCH only on a 409 whose body says "unique"; errors are plain text.

Tests drive it in-process (``FakeBalenaApi``: start, stop, inspect, inject failures); the
README's walk-through runs it with `bianmin simulate balena-api`.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Obj = dict[str, Any]

# device type slug -> CPU architecture (what register() checks compatibility with)
DEVICE_TYPES = {"raspberrypi4-64": "aarch64", "raspberrypi5": "aarch64", "generic-amd64": "amd64"}
# pine resources of a device holding name/value pairs, and the field that names a pair
DEVICE_PAIRS = {
    "device_environment_variable": "name",
    "device_config_variable": "name",
    "device_tag": "tag_key",
}
_KEY = re.compile(r"^/v7/(\w+)(?:\((.*)\))?$")
_EQ = re.compile(r"(\w+) eq (?:'((?:[^']|'')*)'|(\d+))")
_ALIAS = re.compile(r"is_referenced_by__alias eq '([^']*)'")
MUTATING = ("POST", "PATCH", "DELETE")


class _Reply(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body


@dataclass
class Request:
    method: str
    path: str  # decoded, query included
    body: Any


@dataclass
class FakeState:
    api_key: str
    organization: str
    user: Obj = field(
        default_factory=lambda: {
            "id": 3, "actorType": "user", "actorTypeId": 3,
            "username": "county-operator", "email": "operator@county.invalid",
        }
    )  # fmt: skip
    applications: dict[int, Obj] = field(default_factory=dict)
    devices: dict[int, Obj] = field(default_factory=dict)
    pairs: dict[str, dict[int, Obj]] = field(default_factory=lambda: {r: {} for r in DEVICE_PAIRS})
    provisioning_keys: dict[str, int] = field(default_factory=dict)  # key -> application id
    releases: dict[int, Obj] = field(default_factory=dict)  # `balena push` results, by id
    requests: list[Request] = field(default_factory=list)
    fail_mutation_at: int | None = None  # the n-th mutating request (1-based) answers 500
    lose_reply_to: str | None = None  # the first request to this path is done, answered 500
    mutation_count: int = 0
    next_id: int = 100

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


def _device_type(slug: str) -> Obj:
    ids = {s: i + 58 for i, s in enumerate(DEVICE_TYPES)}
    return {
        "id": ids[slug],
        "slug": slug,
        "is_of__cpu_architecture": [{"slug": DEVICE_TYPES[slug]}],
        "is_default_for__application": [],
    }


def _filters(text: str) -> dict[str, str]:
    return {m[1]: m[2].replace("''", "'") if m[2] is not None else m[3] for m in _EQ.finditer(text)}


class FakeBalenaApi:
    """The server and its data, on 127.0.0.1 and a free port. ``url`` is the API endpoint the
    SDK is pointed at (provisioning.balena_client)."""

    def __init__(
        self, api_key: str = "fake-balena-api-key", organization: str = "county", port: int = 0
    ) -> None:
        self.state = FakeState(api_key=api_key, organization=organization)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> FakeBalenaApi:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeBalenaApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests look at ----------------------------------------------------------------
    def mutations(self) -> list[Request]:
        return [r for r in self.state.requests if r.method in MUTATING]

    def device(self, uuid: str) -> Obj | None:
        return next((d for d in self.state.devices.values() if d["uuid"] == uuid), None)

    def device_pairs(self, resource: str, uuid: str) -> dict[str, str]:
        device = self.device(uuid)
        key = DEVICE_PAIRS[resource]
        return {
            p[key]: p["value"]
            for p in self.state.pairs[resource].values()
            if device is not None and p["device"]["__id"] == device["id"]
        }

    def add_release(self, fleet_slug: str, commit: str) -> int:
        """A successful release of the fleet, as `balena push` leaves one; returns its id."""
        st = self.state
        app = next(a for a in st.applications.values() if a["slug"] == fleet_slug)
        release_id = st.new_id()
        st.releases[release_id] = {
            "id": release_id, "commit": commit, "status": "success",
            "belongs_to__application": {"__id": app["id"]},
        }  # fmt: skip
        return release_id

    def pinned_release(self, uuid: str) -> int | None:
        device = self.device(uuid)
        pinned = device.get("is_pinned_on__release") if device else None
        return int(pinned["__id"]) if pinned else None

    def set_device_status(self, uuid: str, status: str, online: bool) -> None:
        device = self.device(uuid)
        assert device is not None, uuid
        device["overall_status"] = status
        device["is_online"] = online

    # -- the API ---------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        with self._lock:
            st = self.state
            parts = urlsplit(raw_path)
            path = unquote(parts.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            st.requests.append(Request(method, unquote(raw_path), body))
            token = headers.get("authorization", "").removeprefix("Bearer ")
            try:
                if method in MUTATING:
                    st.mutation_count += 1
                    if st.fail_mutation_at == st.mutation_count:
                        raise _Reply(500, "fake balena API: injected failure")
                if path == "/device/register" and method == "POST":
                    status, reply = self._register(token, body)
                    if st.lose_reply_to == path:  # done, but the answer never arrives
                        st.lose_reply_to = None
                        raise _Reply(500, "fake balena API: reply lost")
                    return status, reply
                if token != st.api_key:
                    raise _Reply(401, "Unauthorized")
                if path == "/actor/v1/whoami" and method == "GET":
                    return 200, st.user
                if path == "/api-key/v1/" and method == "POST":
                    return self._provisioning_key(body)
                match = _KEY.match(path)
                if match:
                    return self._pine(method, match[1], match[2], query, body)
            except _Reply as reply:
                return reply.status, reply.body
            return 501, f"fake balena API: not implemented: {method} {unquote(raw_path)}"

    def _pine(
        self, method: str, resource: str, key: str | None, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        st = self.state
        where = _filters(query.get("$filter", ""))
        if resource == "application":
            if method == "POST":
                return 201, self._create_application(body)
            if key is not None and key.isdigit():
                found = [a for i, a in st.applications.items() if i == int(key)]
            else:  # get("org/fleet"): (slug eq 'x') or (uuid eq 'x')
                wanted = {where.get("slug"), where.get("uuid")} - {None}
                found = [a for a in st.applications.values() if {a["slug"], a["uuid"]} & wanted]
            return 200, {"d": found}
        if resource == "device_type" and method == "GET":
            alias = _ALIAS.search(query.get("$filter", ""))
            slug = alias[1] if alias else where.get("slug", "")
            return 200, {"d": [_device_type(slug)] if slug in DEVICE_TYPES else []}
        if resource == "organization" and method == "GET":
            handle = (key or "").removeprefix("handle=").strip("'")
            return 200, {"d": [{"id": 7}] if handle == st.organization else []}
        if resource == "device" and method == "GET" and key is not None:
            uuid = key.removeprefix("uuid=").strip("'")
            found = [d for d in st.devices.values() if d["uuid"] == uuid or str(d["id"]) == key]
            return 200, {"d": found}
        if resource == "device" and key is None and method in ("GET", "PATCH"):
            # device.pin_to_release: the devices by uuid or id, then a PATCH by id
            found = [
                d for d in st.devices.values()
                if ("uuid" not in where or d["uuid"] == where["uuid"])
                and ("id" not in where or str(d["id"]) == where["id"])
            ]  # fmt: skip
            if method == "GET":
                return 200, {"d": found}
            release = (body or {}).get("is_pinned_on__release")
            if set(body or {}) != {"is_pinned_on__release"} or release not in st.releases:
                raise _Reply(400, "only pinning to a known release is implemented")
            for device in found:
                device["is_pinned_on__release"] = {"__id": release}
            return 200, "OK"
        if resource == "release" and method == "GET":
            release_id = key if key is not None and key.isdigit() else where.get("id")
            owner = where.get("belongs_to__application")
            found = [
                r for r in st.releases.values()
                if (release_id is None or str(r["id"]) == release_id)
                and ("commit" not in where or r["commit"] == where["commit"])
                and (owner is None or str(r["belongs_to__application"]["__id"]) == owner)
                and r["status"] == where.get("status", r["status"])
            ]  # fmt: skip
            return 200, {"d": found}
        if resource in DEVICE_PAIRS:
            return self._pairs(method, resource, where, body)
        raise _Reply(501, f"fake balena API: not implemented: {method} /v7/{resource}")

    def _create_application(self, body: Obj) -> Obj:
        st = self.state
        name = str(body["app_name"])
        slug = f"{st.organization}/{name.lower()}"
        if any(a["slug"] == slug for a in st.applications.values()):
            raise _Reply(409, "It is necessary that each application has a unique slug")
        if body.get("organization") != 7:
            raise _Reply(400, "unknown organization")
        device_type = next(
            (s for s in DEVICE_TYPES if _device_type(s)["id"] == body["is_for__device_type"]), None
        )
        if device_type is None:
            raise _Reply(400, "unknown device type")
        app_id = st.new_id()
        app = {
            "id": app_id,
            "app_name": name,
            "slug": slug,
            "uuid": secrets.token_hex(16),
            "organization": {"__id": 7},
            "is_for__device_type": [_device_type(device_type)],
        }
        st.applications[app_id] = app
        return app

    def _provisioning_key(self, body: Obj) -> tuple[int, Any]:
        st = self.state
        app_id = body.get("actorTypeId")
        if body.get("actorType") != "application" or app_id not in st.applications:
            raise _Reply(404, "Application not found")
        key = secrets.token_hex(16)
        st.provisioning_keys[key] = int(app_id)
        return 200, key

    def _register(self, token: str, body: Obj) -> tuple[int, Any]:
        st = self.state
        app_id = st.provisioning_keys.get(token)
        if app_id is None or body.get("application") != app_id:
            raise _Reply(401, "Unauthorized: not a provisioning key of this application")
        uuid = str(body.get("uuid", ""))
        if not re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{62}", uuid):
            raise _Reply(400, "invalid uuid")
        if self.device(uuid) is not None:
            raise _Reply(409, "It is necessary that each device has a unique uuid")
        if body.get("device_type") not in DEVICE_TYPES:
            raise _Reply(400, "unknown device type")
        device_id = st.new_id()
        st.devices[device_id] = {
            "id": device_id,
            "uuid": uuid,
            "device_name": f"device-{uuid[:7]}",
            "belongs_to__application": {"__id": app_id},
            "device_type": body["device_type"],
            "is_online": False,
            "overall_status": "inactive",  # pre-registered, never seen
        }
        return 201, {"id": device_id, "uuid": uuid, "api_key": secrets.token_hex(16)}

    def _pairs(
        self, method: str, resource: str, where: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        table = self.state.pairs[resource]
        key_field = DEVICE_PAIRS[resource]

        def matching() -> list[Obj]:
            device, name = where.get("device"), where.get(key_field)
            return [
                p for p in table.values()
                if str(p["device"]["__id"]) == device and (name is None or p[key_field] == name)
            ]  # fmt: skip

        if method == "GET":
            return 200, {"d": matching()}
        if method == "POST":
            device_id, name = body.get("device"), body.get(key_field)
            if device_id not in self.state.devices or not isinstance(name, str):
                raise _Reply(400, "bad request")
            if any(
                p["device"]["__id"] == device_id and p[key_field] == name for p in table.values()
            ):
                raise _Reply(409, f'"device" and "{key_field}" must be unique')
            pair_id = self.state.new_id()
            table[pair_id] = {
                "id": pair_id, "device": {"__id": device_id}, key_field: name,
                "value": str(body.get("value", "")),
            }  # fmt: skip
            return 201, table[pair_id]
        if method == "PATCH":
            for pair in matching():
                pair["value"] = str(body.get("value", ""))
            return 200, "OK"
        if method == "DELETE":
            for pair in matching():
                del table[pair["id"]]
            return 200, "OK"
        raise _Reply(501, f"fake balena API: not implemented: {method} /v7/{resource}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = api.handle(self.command, self.path, headers, body)
                if isinstance(reply, str) and status >= 300:
                    data, kind = reply.encode(), "text/plain"
                else:
                    data, kind = json.dumps(reply).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None  # tests read `state.requests` instead

        return Handler
