"""MQTT 5 (and 3.1.1) frames for the lean receiver (mqttio/lean.py): what a subscriber sends,
and a reader that cuts a received byte stream into packets, PUBLISH frames straight into
Received values.

Pure code, no I/O: every malformed or oversize frame is tested as bytes. Only what a
subscriber that publishes at QoS 0 needs is here: CONNECT, SUBSCRIBE, PUBLISH (QoS 0 out;
QoS 0 and 1 in), PUBACK, PINGREQ and DISCONNECT out; CONNACK, SUBACK, PUBLISH, PUBACK,
PINGRESP and DISCONNECT in.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from mqttio.models import Received

CONNACK, PUBLISH, PUBACK, SUBACK, PINGRESP, DISCONNECT = 2, 3, 4, 9, 13, 14
PINGREQ_FRAME = b"\xc0\x00"
_READABLE = frozenset((CONNACK, PUBACK, SUBACK, PINGRESP, DISCONNECT))
# the properties this client sets (MQTT 5, section 3.1.2.11)
_SESSION_EXPIRY, _RECEIVE_MAXIMUM, _MAXIMUM_PACKET_SIZE = 0x11, 0x21, 0x27
_PUBACK = struct.Struct(">BBH")


class MalformedPacket(ValueError):
    """A frame this reader cannot take: the connection it came on is dropped."""

    code = "malformed_packet"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def _text(s: str) -> bytes:
    raw = s.encode()
    return len(raw).to_bytes(2, "big") + raw


def _frame(first: int, body: bytes) -> bytes:
    return bytes((first,)) + _varint(len(body)) + body


def connect(
    client_id: str,
    *,
    username: str | None,
    password: str | None,
    keepalive: int,
    clean_start: bool,
    session_expiry_s: int,
    receive_maximum: int,
    maximum_packet_size: int,
    version: int = 5,
) -> bytes:
    """CONNECT, MQTT 5 with its properties, or 3.1.1 (``version`` 4) without them."""
    flags = 0x02 if clean_start else 0
    flags |= 0x80 if username is not None else 0
    flags |= 0x40 if password is not None else 0
    body = _text("MQTT") + bytes((version, flags)) + keepalive.to_bytes(2, "big")
    if version == 5:
        props = (
            bytes((_SESSION_EXPIRY,)) + session_expiry_s.to_bytes(4, "big")
            + bytes((_RECEIVE_MAXIMUM,)) + receive_maximum.to_bytes(2, "big")
            + bytes((_MAXIMUM_PACKET_SIZE,)) + maximum_packet_size.to_bytes(4, "big")
        )  # fmt: skip
        body += _varint(len(props)) + props
    body += _text(client_id)
    if username is not None:
        body += _text(username)
    if password is not None:
        body += _text(password)
    return _frame(0x10, body)


def subscribe(packet_id: int, filters: Sequence[tuple[str, int]], version: int = 5) -> bytes:
    body = packet_id.to_bytes(2, "big") + (b"\x00" if version == 5 else b"")  # no properties
    for topic_filter, qos in filters:
        body += _text(topic_filter) + bytes((qos,))  # no-local off: $share forbids it
    return _frame(0x82, body)


def publish_qos0(topic: str, payload: bytes, version: int = 5) -> bytes:
    """A QoS 0 PUBLISH with no properties (the hub's acks to units)."""
    head = _text(topic) + (b"\x00" if version == 5 else b"")
    return _frame(0x30, head + payload)


def pubacks(packet_ids: Sequence[int]) -> bytes:
    """PUBACK frames (reason: success, which MQTT 5 lets a 2-byte body imply) for each id."""
    pack = _PUBACK.pack
    return b"".join([pack(0x40, 2, p) for p in packet_ids])


def disconnect(*, end_session: bool, version: int = 5) -> bytes:
    """A normal DISCONNECT; with ``end_session`` it sets the session expiry to 0, so the broker
    forgets the session (and its share of a shared subscription) at once."""
    if not end_session or version != 5:
        return b"\xe0\x00"
    return _frame(0xE0, b"\x00\x05" + bytes((_SESSION_EXPIRY,)) + b"\x00\x00\x00\x00")


def _properties_end(data: bytes, at: int, end: int) -> int:
    """Where the properties that start at ``at`` end."""
    length = shift = 0
    while True:
        if at >= end or shift > 21:
            raise MalformedPacket("property length runs past its packet")
        byte = data[at]
        at += 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    if at + length > end:
        raise MalformedPacket("properties run past their packet")
    return at + length


class Reader:
    """Cuts a byte stream into packets. ``token_base`` goes into every QoS 1 message's
    token with its packet id, so an ack meant for one connection is never sent on another."""

    def __init__(self, max_packet: int, token_base: int, *, properties: bool = True) -> None:
        self.max_packet = max_packet
        self.token_base = token_base
        self.properties = properties  # MQTT 5: a PUBLISH has properties; 3.1.1: none

    def feed(self, data: bytes, messages: list[Received], control: list[tuple[int, bytes]]) -> int:
        """Parse the whole packets in ``data``: PUBLISH into ``messages``, the rest into
        ``control`` as (type, body). Returns how many bytes were used; the caller keeps the
        rest for the next read. Raises MalformedPacket on a frame no broker should send."""
        pos, n = 0, len(data)
        limit, base, properties = self.max_packet, self.token_base, self.properties
        append = messages.append
        while pos + 2 <= n:
            first = data[pos]
            length = data[pos + 1]
            p = pos + 2
            if length & 0x80:
                length &= 0x7F
                shift = 7
                while True:
                    if p >= n:
                        return pos  # the length itself is not all here yet
                    byte = data[p]
                    p += 1
                    length |= (byte & 0x7F) << shift
                    if not byte & 0x80:
                        break
                    shift += 7
                    if shift > 21:
                        raise MalformedPacket("remaining length longer than 4 bytes")
            if length > limit:
                raise MalformedPacket(f"a packet of {length} bytes (limit {limit})")
            end = p + length
            if end > n:
                return pos
            kind = first >> 4
            if kind == PUBLISH:
                qos = (first >> 1) & 3
                if length < 3 or qos > 1:
                    raise MalformedPacket(f"a PUBLISH at QoS {qos} or without a topic")
                q = p + 2 + ((data[p] << 8) | data[p + 1])
                if q > end:
                    raise MalformedPacket("a PUBLISH topic runs past its packet")
                try:
                    topic = data[p + 2 : q].decode()
                except UnicodeDecodeError:
                    raise MalformedPacket("a PUBLISH topic that is not UTF-8") from None
                token = 0
                if qos:
                    if q + 2 > end:
                        raise MalformedPacket("a QoS 1 PUBLISH without a packet id")
                    token = base | (data[q] << 8) | data[q + 1]
                    q += 2
                if properties:  # MQTT 5; one byte when empty, the common case
                    if q < end and data[q] == 0:
                        q += 1
                    else:
                        q = _properties_end(data, q, end)
                append(Received(topic, data[q:end], qos, bool(first & 1), token))
            elif kind in _READABLE:
                control.append((kind, data[p:end]))
            else:
                raise MalformedPacket(f"packet type {kind} from a broker")
            pos = end
        return pos


def connack(body: bytes) -> tuple[bool, int]:
    """(session present, reason code) of a CONNACK."""
    if len(body) < 2:
        raise MalformedPacket("a CONNACK shorter than 2 bytes")
    return bool(body[0] & 1), body[1]


def suback(body: bytes, version: int = 5) -> tuple[int, list[int]]:
    """(packet id, reason codes) of a SUBACK."""
    if len(body) < 3:
        raise MalformedPacket("a SUBACK shorter than 3 bytes")
    at = _properties_end(body, 2, len(body)) if version == 5 else 2
    return (body[0] << 8) | body[1], list(body[at:])
