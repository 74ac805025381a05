"""What keeps the public status page safe: a per-page form token (an HMAC of the case's token
hash and the time, with a key derived from the hub's signing key, so every hub process agrees),
the same-origin check on posts, a keyed hash for rate-limiting client addresses, and the
response headers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.requests import Request

FORM_MAX_AGE_S = 2 * 3600
HEADERS = {
    # no script, no frames, forms only to this page's own origin
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    # the token is in the URL: no other site ever sees it in a Referer (and same-origin
    # posts keep their Origin header, which a no-referrer policy would blank)
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "x-robots-tag": "noindex, nofollow",
}


def page_secret(key: Ed25519PrivateKey) -> bytes:
    """A key for the page's HMACs, derived from the signing key every hub process holds."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return hmac.new(raw, b"bianmin case status page v1", hashlib.sha256).digest()


def form_token(secret: bytes, token_sha256: str, now: datetime) -> str:
    issued = int(now.timestamp())
    mac = hmac.new(secret, f"{token_sha256}|{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac[:40]}"


def form_token_ok(secret: bytes, token_sha256: str, value: str, now: datetime) -> bool:
    issued_text, _, _ = value.partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12:
        return False
    issued = int(issued_text)
    if not 0 <= now.timestamp() - issued <= FORM_MAX_AGE_S:
        return False
    expected = form_token(secret, token_sha256, datetime.fromtimestamp(issued, now.tzinfo))
    return hmac.compare_digest(expected, value)


def same_origin(request: Request) -> bool:
    """A post comes from this site's own page: its Origin (or, without one, its Referer)
    names the host the request was sent to."""
    host = request.headers.get("host")
    if not host:
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    return referer is not None and urlsplit(referer).netloc == host


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run uvicorn with its
    proxy headers for the proxy's address, so this is the resident's)."""
    return request.client.host if request.client is not None else "unknown"
