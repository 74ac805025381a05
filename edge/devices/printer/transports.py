"""python-escpos connections for the profile's transport: USB, serial, TCP 9100 or a file.

The library's classes are used as they are, except for timeouts: their defaults block a status
read for up to 60 s on TCP and a serial write forever, and a heartbeat must not hang.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from edge.devices.printer.escpos_import import ensure_escpos
from firmware_config.schema import (
    FileTransport,
    NetworkTransport,
    SerialTransport,
    Transport,
    UsbTransport,
)

IO_TIMEOUT_S = 10.0
STATUS_TIMEOUT_S = 1.0


def can_read(transport: Transport) -> bool:
    """Whether status queries get answers: a plain file (e.g. /dev/usb/lp0) is write-only."""
    return not isinstance(transport, FileTransport)


def describe(transport: Transport) -> str:
    if isinstance(transport, UsbTransport):
        return f"usb:{transport.vendor_id:04x}:{transport.product_id:04x}"
    if isinstance(transport, SerialTransport):
        return f"serial:{transport.device}@{transport.baudrate}"
    if isinstance(transport, NetworkTransport):
        return f"tcp:{transport.host}:{transport.port}"
    return f"file:{transport.path}"


@cache
def _classes() -> dict[str, type[Any]]:
    import socket

    ensure_escpos()
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import File, Network, Serial, Usb

    class NetworkConn(Network):  # type: ignore[misc]
        status_timeout = STATUS_TIMEOUT_S

        def open(self, raise_not_found: bool = True) -> None:
            # python-escpos 3.1 leaks the socket when connect() fails; connect here instead.
            if self._device:
                self.close()
            sock: socket.socket | None = None
            error: OSError | None = None
            try:
                sock = socket.create_connection((self.host, self.port), self.timeout)
            except OSError as exc:
                error = exc
            self.device = sock
            if error is not None and raise_not_found:
                raise DeviceNotFoundError(
                    f"cannot connect to {self.host}:{self.port}: {error.strerror or error}"
                ) from error

        def _read(self) -> bytes:
            assert self.device
            self.device.settimeout(self.status_timeout)
            try:
                data: bytes = self.device.recv(16)
            except TimeoutError:
                data = b""
            finally:
                self.device.settimeout(self.timeout)
            return data

        def close(self) -> None:
            # Half-close first so the printer sees the end of the job, then wait briefly for
            # its side to close: it may still be reading what we sent.
            if self._device:
                try:
                    self._device.shutdown(socket.SHUT_WR)
                    self._device.settimeout(self.status_timeout)
                    while self._device.recv(64):
                        pass
                except OSError:
                    pass
            super().close()

    class SerialConn(Serial):  # type: ignore[misc]
        rtscts = False

        def open(self, raise_not_found: bool = True) -> None:
            super().open(raise_not_found)
            if self.device:
                self.device.write_timeout = IO_TIMEOUT_S
                self.device.rtscts = self.rtscts

        def _read(self) -> bytes:
            assert self.device
            return bytes(self.device.read(1))  # replies are one byte; timeout is `timeout`

    class UsbConn(Usb):  # type: ignore[misc]
        def _read(self) -> bytes:
            import usb.core

            assert self.device
            try:
                return bytes(self.device.read(self.in_ep, 16, int(STATUS_TIMEOUT_S * 1000)))
            except usb.core.USBTimeoutError:
                return b""

    return {"network": NetworkConn, "serial": SerialConn, "usb": UsbConn, "file": File}


def connection(transport: Transport, escpos_profile: str) -> Any:
    """An unopened python-escpos printer object; it connects on first use."""
    cls = _classes()[transport.kind]
    if isinstance(transport, NetworkTransport):
        return cls(transport.host, transport.port, timeout=IO_TIMEOUT_S, profile=escpos_profile)
    if isinstance(transport, SerialTransport):
        # No XON/XOFF: raster image bytes contain 0x11 and 0x13.
        conn = cls(
            transport.device,
            baudrate=transport.baudrate,
            timeout=STATUS_TIMEOUT_S,
            dsrdtr=transport.flow_control == "dsrdtr",
            profile=escpos_profile,
        )
        conn.rtscts = transport.flow_control == "rtscts"
        return conn
    if isinstance(transport, UsbTransport):
        return cls(
            transport.vendor_id,
            transport.product_id,
            timeout=int(IO_TIMEOUT_S * 1000),
            in_ep=transport.in_ep,
            out_ep=transport.out_ep,
            profile=escpos_profile,
        )
    return cls(transport.path, profile=escpos_profile)
