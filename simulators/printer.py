"""The virtual receipt printer: a TCP 9100 server that decodes ESC/POS and renders slips as PNG.

    with VirtualPrinter(dots=576, out_dir=Path("slips")) as vp:   # 127.0.0.1, a free port
        ...print to tcp:127.0.0.1:{vp.port} ...
        slip = vp.wait_for_slips(1)[0]      # .text, .qr_native, .rasters, .png, .errors
        vp.paper = "out"                    # DLE EOT replies follow the settable state

    python -m simulators.printer --port 9100 --dots 576 --out /tmp/slips

Unknown commands are logged at ERROR and recorded (`vp.errors`); tests assert there are none.
"""

from __future__ import annotations

import argparse
import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Literal

from edge.devices.printer.text import Charset
from simulators.escpos.decoder import Parser, StatusQuery
from simulators.escpos.paper import Head, Slip

log = logging.getLogger(__name__)

PaperState = Literal["ok", "near_end", "out"]


def status_reply(
    n: int, *, paper: PaperState = "ok", online: bool = True, cover_open: bool = False
) -> bytes:
    """What an Epson-compatible printer answers to DLE EOT n (one byte, fixed bits 0x12)."""
    offline = not online or cover_open or paper == "out"
    b = 0x12
    if n == 1 and offline:
        b |= 0x08
    elif n == 2:
        b |= (0x04 if cover_open else 0) | (0x20 if paper == "out" else 0)
    elif n == 4:
        b |= {"ok": 0, "near_end": 0x0C, "out": 0x6C}[paper]
    return bytes([b])


def decode_job(data: bytes, *, dots: int = 576, charset: Charset = "gbk") -> list[Slip]:
    """Decode a whole job (e.g. a file written by `print-test --to file:`) into slips."""
    parser, head = Parser(), Head(dots, charset)
    head.run(parser.feed(data))
    if parser.pending:
        head.error(f"job ends inside a command ({parser.pending} bytes left)")
    head.finish()
    return head.done


class VirtualPrinter:
    def __init__(
        self,
        *,
        dots: int = 576,
        charset: Charset = "gbk",
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | None = None,
    ) -> None:
        self.dots = dots
        self.charset = charset
        self.out_dir = out_dir
        self.paper: PaperState = "ok"
        self.online = True
        self.cover_open = False
        # drop the next connection once it has sent this many bytes (power cut, cable pulled)
        self.drop_after: int | None = None
        self.dropped = 0
        self.slips: list[Slip] = []
        self.errors: list[str] = []
        self.status_queries = 0
        self.connections = 0
        self._lock = threading.Condition()
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> VirtualPrinter:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="virtual-printer", daemon=True
        )
        self._thread.start()
        log.info("virtual printer on %s:%d (%d dots)", self.host, self.port, self.dots)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- state --------------------------------------------------------------------------------

    def status_reply(self, n: int) -> bytes:
        """The one-byte answer to DLE EOT n, from the settable state."""
        return status_reply(n, paper=self.paper, online=self.online, cover_open=self.cover_open)

    def _add(self, slips: Iterable[Slip]) -> None:
        with self._lock:
            for slip in slips:
                slip.number = len(self.slips) + 1
                self.slips.append(slip)
                self.errors += [f"slip {slip.number}: {e}" for e in slip.errors]
                if self.out_dir is not None and slip.png is not None:
                    self.out_dir.mkdir(parents=True, exist_ok=True)
                    slip.png.save(self.out_dir / f"slip-{slip.number:03d}.png")
            self._lock.notify_all()

    def wait_for_slips(self, n: int, timeout: float = 10.0) -> list[Slip]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.slips) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.slips)} slips printed, expected {n}")
                self._lock.wait(left)
            return list(self.slips)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], printer: VirtualPrinter
    ) -> None:
        self.printer = printer
        super().__init__(address, handler)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        vp: VirtualPrinter = self.server.printer  # type: ignore[attr-defined]
        sock: socket.socket = self.request
        parser, head = Parser(), Head(vp.dots, vp.charset)
        vp.connections += 1
        received = 0
        while True:
            try:
                data = sock.recv(65536)
            except OSError as exc:
                head.error(f"connection error: {exc}")
                break
            if not data:
                break
            received += len(data)
            if vp.drop_after is not None and received > vp.drop_after:
                vp.drop_after, vp.dropped = None, vp.dropped + 1
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()  # a reset, mid-slip: nothing of this job is printed
                return
            items = parser.feed(data)
            for item in items:
                head.execute(item)
                if isinstance(item, StatusQuery):
                    # real time: answer before reading on, as the driver waits for it
                    vp.status_queries += 1
                    sock.sendall(vp.status_reply(item.n))
            vp._add(head.done)
            head.done.clear()
        if parser.pending:
            head.error(f"connection closed inside a command ({parser.pending} bytes left)")
        head.finish()
        vp._add(head.done)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="virtual ESC/POS receipt printer (TCP 9100)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--dots", type=int, choices=(384, 576), default=576)
    ap.add_argument("--charset", choices=("gb2312", "gbk", "gb18030"), default="gbk")
    ap.add_argument("--out", type=Path, default=Path("slips"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    vp = VirtualPrinter(
        dots=args.dots, charset=args.charset, host=args.host, port=args.port, out_dir=args.out
    )
    with vp:
        print(f"virtual printer listening on {vp.host}:{vp.port}; slips go to {args.out}/")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
