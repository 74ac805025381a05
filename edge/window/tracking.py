"""The slip's QR: every case gets an unguessable status token (192 bits from `secrets`) when
it opens; the slips print ``{hub_url}/c/{token}``, the hub's page for that case, and the unit
sends only the token's SHA-256 (in the `opened` transition) so the hub can find the case."""

from __future__ import annotations

import secrets

from protocol.supply import STATUS_PATH, STATUS_TOKEN_BYTES


def new_status_token() -> str:
    return secrets.token_urlsafe(STATUS_TOKEN_BYTES)


def status_base(hub_url: str) -> str:
    """What a token is appended to on the slips: the hub's case status path."""
    return hub_url.rstrip("/") + STATUS_PATH
