"""What the hub keeps of a message it refused: the reason, the size, a SHA-256 and a short
prefix, never the whole payload. A refused message is by definition untrusted: it may be huge
(a unit sending 2 MB ones kept 87 MB after 4 s), carry personal data, or hold text no database
column takes (a NUL, a lone surrogate), and the dead letter must commit whatever it held.

Pure code: intake and the batch writer build rows with ``dead_letter``."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime
from typing import Any

# Bounds of one row, in bytes; hub.fleet.retention counts a row's worst case from them.
TOPIC_BYTES = 512
REASON_CODE_BYTES = 32
REASON_BYTES = 1000
PREFIX_BYTES = 512  # enough to see what a message was; the hash identifies the rest


def _unsafe(char: str) -> bool:
    # Cc: NUL (PostgreSQL refuses it in text) and every other control, newlines included, so
    # a reason stays one line; Cs: a lone surrogate (from a JSON "\ud800") encodes to nothing;
    # Cf: invisible formatting (a right-to-left override) that would disguise what auditors read
    return unicodedata.category(char) in ("Cc", "Cf", "Cs")


def safe_text(text: str, max_bytes: int) -> str:
    """``text`` with control and format characters and lone surrogates escaped (``\\x00``,
    ``\\u202e``, ``\\ud800``), cut to at most ``max_bytes`` of UTF-8 whole characters."""
    if any(_unsafe(c) for c in text):
        text = "".join(
            (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") if _unsafe(c) else c
            for c in text
        )
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def preview(prefix: bytes) -> str:
    """A stored prefix as text a page or a JSON answer can show: UTF-8 where it is, ``\\xNN``
    for other bytes and for controls."""
    return safe_text(prefix.decode("utf-8", errors="backslashreplace"), 4 * PREFIX_BYTES)


def dead_letter(
    *,
    topic: str,
    unit: str | None,
    reason_code: str,
    reason: str,
    payload: bytes,
    received_at: datetime,
) -> dict[str, Any]:
    """A ``deadletter`` row (hub.models.DeadLetter) for a refused message."""
    return {
        "received_at": received_at,
        "topic": safe_text(topic, TOPIC_BYTES),
        "unit": unit,
        "reason_code": safe_text(reason_code, REASON_CODE_BYTES),
        "reason": safe_text(reason, REASON_BYTES),
        "size": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "payload_prefix": payload[:PREFIX_BYTES],
    }
