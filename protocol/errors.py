"""One exception tree for the wire contract, with stable codes for dead letters and reports."""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base of every error raised while building or reading a wire message."""

    code = "protocol_error"


class InvalidTopic(ProtocolError):
    code = "invalid_topic"


class PayloadTooLarge(ProtocolError):
    code = "payload_too_large"


class MalformedJSON(ProtocolError):
    code = "malformed_json"


class InvalidMessage(ProtocolError):
    """The JSON parsed but does not match the message schema."""

    code = "invalid_message"


class UnitMismatch(ProtocolError):
    """The unit named in the topic differs from the one in the envelope."""

    code = "unit_mismatch"


class SignatureError(ProtocolError):
    code = "bad_signature"
