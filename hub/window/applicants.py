"""An applicant as the hub knows them: the HMAC reference of their ID number (32 hex digits,
protocol.identity), never the number itself."""

from __future__ import annotations

from hub.errors import InvalidRequest

_REF_CHARS = set("0123456789abcdef")


def check_ref(ref: str) -> str:
    """``ref`` if it is an HMAC reference; InvalidRequest (an ID number, say) otherwise."""
    if len(ref) != 32 or not set(ref) <= _REF_CHARS:
        raise InvalidRequest("applicant_ref must be 32 lowercase hex digits (an HMAC reference)")
    return ref
