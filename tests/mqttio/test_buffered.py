"""mqttio/buffered.py overrides private paho methods; if a paho release renames them, the
override silently stops working. These tests fail first, naming what moved."""

import inspect

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from mqttio.buffered import BufferedPaho


@pytest.mark.parametrize(
    "name", ["_sock_recv", "_handle_on_message", "_sock_close", "_ssl_wrap_socket"]
)
def test_the_paho_methods_we_override_or_call_still_exist(name):
    assert callable(getattr(paho.Client, name, None)), f"paho.Client.{name} is gone"


def test_the_paho_state_our_message_fast_path_reads_is_still_set_by_paho():
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="probe")
    assert hasattr(client, "_in_callback_mutex")
    assert hasattr(client, "_userdata")
    assert hasattr(client, "_sock")  # buffered() asks a TLS socket for decrypted bytes
    for name in ("_ssl_context", "_host", "_connect_timeout"):  # our _ssl_wrap_socket reads
        assert hasattr(client, name), name


def test_buffered_reads_serve_paho_byte_by_byte_from_one_large_read():
    client = BufferedPaho(CallbackAPIVersion.VERSION2, client_id="probe")
    reads: list[int] = []

    def fake_recv(self, bufsize: int) -> bytes:
        reads.append(bufsize)
        return b"\x30\x05abcde" if len(reads) == 1 else b""

    original = paho.Client._sock_recv
    paho.Client._sock_recv = fake_recv  # type: ignore[method-assign]
    try:
        got = [client._sock_recv(1), client._sock_recv(1), client._sock_recv(5)]
        assert not client.buffered()
    finally:
        paho.Client._sock_recv = original  # type: ignore[method-assign]
    assert got == [b"\x30", b"\x05", b"abcde"]
    assert reads == [65536]  # one system call for the whole packet


def test_the_override_keeps_pahos_signature():
    ours = inspect.signature(BufferedPaho._sock_recv)
    theirs = inspect.signature(paho.Client._sock_recv)
    assert list(ours.parameters) == list(theirs.parameters)
