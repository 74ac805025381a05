"""The only code that reaches into paho's private API (``_sock_recv``, ``_sock``,
``_ssl_wrap_socket``, ``_ssl_context``, ``_host``, ``_connect_timeout``, ``_handle_on_message``,
``_in_callback_mutex``, ``_userdata``): pyproject.toml pins paho-mqtt to the minor release this
was written against, and tests/mqttio/test_buffered.py fails loudly if those names move."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import paho.mqtt.client as paho


class BufferedPaho(paho.Client):
    """paho reads each packet's fixed header a byte at a time: three or four recv() calls per
    message. This reads up to 64 KiB per call and serves paho from the buffer, so a burst of
    small messages costs one system call instead of hundreds."""

    _READ_SIZE = 65536

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = b""
        self._rpos = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(self._READ_SIZE)
            if not data:
                return data  # EOF: paho closes the connection
            self._rbuf, self._rpos = data, 0
        chunk = self._rbuf[self._rpos : self._rpos + bufsize]
        self._rpos += len(chunk)
        return chunk

    def buffered(self) -> bool:
        """True while bytes already read from the socket wait to be parsed. Over TLS that
        includes bytes the TLS layer has decrypted but not handed over yet: the socket does
        not signal them again."""
        if self._rpos < len(self._rbuf):
            return True
        sock = self._sock
        return isinstance(sock, ssl.SSLSocket) and sock.pending() > 0

    def _handle_on_message(self, message: paho.MQTTMessage) -> None:
        # We register no per-topic callbacks (message_callback_add), so skip paho's walk of
        # its topic trie for each message and call on_message directly; our handler catches
        # its own exceptions.
        on_message = self.on_message
        if on_message is not None:
            with self._in_callback_mutex:
                on_message(self, self._userdata, message)

    def _ssl_wrap_socket(self, tcp_sock: socket.socket) -> ssl.SSLSocket:
        """paho's own, minus its leak: a handshake that fails (a server of another CA, another
        name, a refused client certificate) closes the TLS socket instead of dropping it open.
        The name is checked by the context (mqttio.tls.ClientTls), as paho's would be."""
        context = self._ssl_context
        if context is None:
            raise ValueError("TLS is on without a context")
        ssl_sock = context.wrap_socket(
            tcp_sock, server_hostname=self._host, do_handshake_on_connect=False
        )
        try:
            ssl_sock.settimeout(self._connect_timeout)
            ssl_sock.do_handshake()
        except BaseException:
            ssl_sock.close()
            raise
        return ssl_sock

    def close_socket(self) -> None:
        """Close the socket without DISCONNECT: a dropped link, not a goodbye."""
        self._sock_close()
