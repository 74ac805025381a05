"""The lean receiver's frames as bytes: PUBLISH frames cut out of a stream however it is split,
and every malformed or oversize frame refused with MalformedPacket, never anything else."""

from __future__ import annotations

import pytest

from mqttio import Received, frames


def publish(topic: str, payload: bytes, *, pid: int = 0, props: bytes = b"", retain=False):
    """A PUBLISH as a broker sends it to an MQTT 5 client (QoS 1 when ``pid``)."""
    raw = topic.encode()
    body = len(raw).to_bytes(2, "big") + raw
    if pid:
        body += pid.to_bytes(2, "big")
    body += frames._varint(len(props)) + props + payload
    first = 0x30 | (0x02 if pid else 0) | (0x01 if retain else 0)
    return bytes((first,)) + frames._varint(len(body)) + body


def read(data: bytes, *, limit: int = 1 << 20, base: int = 7 << 16):
    messages: list[Received] = []
    control: list[tuple[int, bytes]] = []
    used = frames.Reader(limit, base).feed(data, messages, control)
    return messages, control, used


STREAM = [
    publish("bianmin/v1/u/t001/tx", b'{"events":[]}', pid=1),
    publish("bianmin/v1/u/t002/health", b"x" * 300, retain=True),  # a 2-byte length
    b"\x90\x04\x00\x01\x00\x01",  # SUBACK: id 1, no properties, QoS 1 granted
    publish("bianmin/v1/u/t003/tx", b"", pid=65535, props=b"\x01\x01"),  # payload format
    b"\xd0\x00",  # PINGRESP
]


def test_a_stream_cut_at_every_byte_gives_the_same_packets_in_order():
    data = b"".join(STREAM)
    whole = read(data)
    assert whole[2] == len(data)
    for cut in range(len(data) + 1):
        head, tail = data[:cut], data[cut:]
        first = read(head)
        second = read(head[first[2] :] + tail)
        assert first[0] + second[0] == whole[0]
        assert first[1] + second[1] == whole[1]


def test_a_qos1_message_carries_its_packet_id_and_connection_in_its_token():
    messages, control, _ = read(b"".join(STREAM))
    assert [(m.topic, m.qos, m.retain, m.token) for m in messages] == [
        ("bianmin/v1/u/t001/tx", 1, False, (7 << 16) | 1),
        ("bianmin/v1/u/t002/health", 0, True, 0),
        ("bianmin/v1/u/t003/tx", 1, False, (7 << 16) | 65535),
    ]
    assert messages[1].payload == b"x" * 300
    assert messages[2].payload == b""
    assert [kind for kind, _ in control] == [frames.SUBACK, frames.PINGRESP]
    assert frames.suback(control[0][1]) == (1, [1])


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (b"\x30\xff\xff\xff\xff\x01", "remaining length longer than 4 bytes"),
        (publish("t", b"x" * 2000), "limit 1024"),
        (b"\x30\x05\x00\x09abc", "topic runs past"),
        (b"\x30\x04\x00\x02\xff\xfe", "not UTF-8"),
        (b"\x34\x05\x00\x01t\x00\x01", "QoS 2"),
        (b"\x32\x03\x00\x01t", "without a packet id"),
        (b"\x30\x05\x00\x01t\x05\x01", "properties run past"),
        (b"\x10\x00", "packet type 1"),
    ],
    ids=["length", "oversize", "topic", "utf8", "qos2", "packet-id", "properties", "connect"],
)
def test_a_malformed_or_oversize_frame_raises_malformed_packet(frame, why):
    # the good message before it is delivered; nothing after it is read
    data = publish("t", b"ok") + frame + publish("t", b"after")
    messages: list[Received] = []
    with pytest.raises(frames.MalformedPacket, match=why):
        frames.Reader(1024, 1 << 16).feed(data, messages, [])
    assert [m.payload for m in messages] == [b"ok"]


def test_an_oversize_packet_is_refused_from_its_header_before_its_body_arrives():
    header = b"\x30" + frames._varint(5000)
    with pytest.raises(frames.MalformedPacket, match="5000 bytes"):
        read(header, limit=1024)


def test_pubacks_are_one_four_byte_frame_per_packet_id():
    assert frames.pubacks([1, 258]) == b"\x40\x02\x00\x01\x40\x02\x01\x02"
    assert frames.pubacks([]) == b""


def test_connect_sets_the_flags_and_properties_of_a_resumable_session():
    frame = frames.connect(
        "hub-ingest-1", username="hub", password="pw", keepalive=30, clean_start=False,
        session_expiry_s=60, receive_maximum=1000, maximum_packet_size=4096,
    )  # fmt: skip
    assert frame[0] == 0x10
    body = frame[2:]
    assert body[:7] == b"\x00\x04MQTT\x05"
    assert body[7] == 0xC0  # username and password, no clean start
    props = b"\x11\x00\x00\x00\x3c\x21\x03\xe8\x27\x00\x00\x10\x00"
    assert body[10:11] == bytes((len(props),))
    assert body[11 : 11 + len(props)] == props
    assert frames.connect(
        "x", username=None, password=None, keepalive=30, clean_start=True,
        session_expiry_s=0, receive_maximum=10, maximum_packet_size=10,
    )[9] == 0x02  # fmt: skip


def test_a_qos0_publish_reads_back_as_the_same_message():
    frame = frames.publish_qos0("bianmin/v1/u/t001/ack", b'{"ids":[]}')
    messages, _, used = read(frame)
    assert used == len(frame)
    assert messages == [Received("bianmin/v1/u/t001/ack", b'{"ids":[]}', 0, False, 0)]


def test_mqtt_3_1_1_frames_carry_no_properties_and_read_back():
    frame = frames.connect(
        "x", username=None, password=None, keepalive=30, clean_start=True,
        session_expiry_s=10, receive_maximum=10, maximum_packet_size=10, version=4,
    )  # fmt: skip
    assert frame == b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x1e\x00\x01x"
    assert frames.subscribe(1, [("a/+", 1)], version=4) == b"\x82\x08\x00\x01\x00\x03a/+\x01"
    assert frames.suback(b"\x00\x01\x01\x80", version=4) == (1, [1, 0x80])
    assert frames.disconnect(end_session=True, version=4) == b"\xe0\x00"
    v4 = b"\x32\x08\x00\x01t\x00\x05" + b"abc"  # QoS 1, packet id 5, no properties
    messages: list[Received] = []
    frames.Reader(1024, 1 << 16, properties=False).feed(v4, messages, [])
    assert messages == [Received("t", b"abc", 1, False, (1 << 16) | 5)]
