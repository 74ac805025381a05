"""The receipt printer interface and its python-escpos driver.

    printer = EscposPrinter(profile.printer)
    await asyncio.to_thread(printer.print, receipt_document(data))   # blocking I/O
    health = await asyncio.to_thread(printer.status)                  # DLE EOT round trips

One connection per job (and per status query): a TCP printer sees each slip as one session,
a USB or serial printer that was power-cycled is simply found again next time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from edge.devices.errors import (
    DeviceError,
    DeviceNotFound,
    PaperOut,
    PrinterOffline,
    PrintFailed,
    from_os_error,
)
from edge.devices.printer import status as st
from edge.devices.printer import transports
from edge.devices.printer.document import Document
from edge.devices.printer.layout import Paper
from edge.devices.printer.render import encode
from firmware_config.schema import FileTransport, PrinterSpec
from protocol.labels import DEVICE_LABELS
from protocol.messages import DeviceStatus

PRINTER = DEVICE_LABELS["printer"]

log = logging.getLogger(__name__)

CHUNK = 4096  # bytes per write: lets a serial link's flow control and timeouts act per chunk


class ReceiptPrinter(Protocol):
    """What the workflow and kiosk use. Both methods block: call them via asyncio.to_thread."""

    @property
    def spec(self) -> PrinterSpec: ...
    def print(self, doc: Document, *, check_paper: bool = True) -> int: ...
    def status(self) -> DeviceStatus: ...


def _device_error(exc: BaseException, what: str) -> DeviceError:
    from escpos import exceptions as escpos_exc

    if isinstance(exc, DeviceError):
        return exc
    if isinstance(exc, escpos_exc.DeviceNotFoundError):
        return DeviceNotFound(f"{what}: {exc.msg.strip() if exc.msg else 'not found'}")
    if isinstance(exc, TimeoutError):
        return PrintFailed(f"{what}: timed out")
    if isinstance(exc, OSError):
        mapped = from_os_error(exc, what)
        return mapped if type(mapped) is not DeviceError else PrintFailed(str(mapped))
    return PrintFailed(f"{what}: {exc}")


class EscposPrinter:
    """An ESC/POS printer on the profile's transport (or on `connect`, for tests)."""

    def __init__(
        self,
        spec: PrinterSpec,
        *,
        connect: Callable[[], Any] | None = None,
        readable: bool | None = None,
    ) -> None:
        self._spec = spec
        self._connect = connect or (
            lambda: transports.connection(spec.transport, spec.escpos_profile)
        )
        self.readable = transports.can_read(spec.transport) if readable is None else readable
        self.where = transports.describe(spec.transport) if connect is None else "custom"
        self._lock = threading.Lock()  # one job or query at a time on the link

    @property
    def spec(self) -> PrinterSpec:
        return self._spec

    @property
    def paper(self) -> Paper:
        return Paper(self._spec.dots_per_line, self._spec.charset, self._spec.native_qr)

    def encode(self, doc: Document) -> bytes:
        """The ESC/POS bytes of a document for this printer, without any I/O."""
        return encode(doc, self.paper, escpos_profile=self._spec.escpos_profile, cut=self._spec.cut)

    def print(self, doc: Document, *, check_paper: bool = True) -> int:
        """Print and return the bytes sent. Raises PaperOut / PrinterOffline before sending
        when the printer can say so, PrintFailed or DeviceNotFound when delivery fails."""
        data = self.encode(doc)  # layout and font errors surface before the printer is touched
        with self._lock:
            conn = self._connect()
            try:
                answers = False
                if check_paper and self.readable:
                    now = self._query(conn)
                    answers = now.present
                    # Refuse only on a definite answer: some cheap firmwares never answer
                    # DLE EOT, and they must still print.
                    if now.present and now.paper == "out":
                        raise PaperOut(f"{self.where}: {now.detail}", device="printer")
                    if now.present and not now.ok:
                        raise PrinterOffline(f"{self.where}: {now.detail}", device="printer")
                    if not now.present:
                        log.warning(
                            "%s does not answer status queries; printing anyway", self.where
                        )
                for i in range(0, len(data), CHUNK):
                    conn._raw(data[i : i + CHUNK])
                if answers and not self._query(conn).present:
                    # the printer answered before the slip and not after it: the link went
                    # down mid-slip (switched off, unplugged), so the slip is not on paper
                    raise PrintFailed(f"{self.where}: connection lost during the slip")
            except Exception as exc:
                raise _device_error(exc, f"printer {self.where}") from exc
            finally:
                self._close(conn)
        log.info("printed %r: %d bytes to %s", doc.title, len(data), self.where)
        return len(data)

    def status(self) -> DeviceStatus:
        """Present / ok / paper, from DLE EOT where the transport can read."""
        transport = self._spec.transport
        if isinstance(transport, FileTransport):
            # opening would truncate a plain file; a device node's presence is what we can know
            path = Path(transport.path)
            if not path.exists():
                return DeviceStatus.report(
                    present=False, ok=False, detail=f"未找到{PRINTER} {self.where}"
                )
            if not os.access(path, os.W_OK):
                return DeviceStatus.report(
                    present=True, ok=False, detail=f"无权写入{PRINTER} {self.where}"
                )
            return st.unreadable_status(f"{self.where}（此连接方式无法查询纸张状态）")
        with self._lock:
            try:
                conn = self._connect()
            except Exception as exc:
                return self._down(_device_error(exc, f"printer {self.where}"))
            try:
                _ = conn.device  # opens the link; raises when the printer is not there
                if not self.readable:
                    return st.unreadable_status(f"{self.where}（此连接方式无法查询纸张状态）")
                return self._query(conn)
            except Exception as exc:
                return self._down(_device_error(exc, f"printer {self.where}"))
            finally:
                self._close(conn)

    @staticmethod
    def _down(exc: DeviceError) -> DeviceStatus:
        present = not isinstance(exc, DeviceNotFound)
        return DeviceStatus.report(
            present=present, ok=False, detail=f"{PRINTER}不可用：{exc} ({exc.code})"
        )

    @staticmethod
    def _query(conn: Any) -> DeviceStatus:
        printer = conn.query_status(st.DLE_EOT_PRINTER)
        cause = None
        if printer and st.is_status_byte(printer[-1]) and printer[-1] & 0x08:
            cause = conn.query_status(st.DLE_EOT_OFFLINE)
        paper = conn.query_status(st.DLE_EOT_PAPER) if printer else None
        return st.status_from_replies(printer, cause, paper)

    @staticmethod
    def _close(conn: Any) -> None:
        try:
            conn.close()
        except Exception:  # closing a dead link must not hide the error that killed it
            log.debug("closing the printer connection failed", exc_info=True)
