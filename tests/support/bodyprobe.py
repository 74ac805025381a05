"""A hostile HTTP client for body-size probes: it declares (or streams) a huge body and keeps
sending until the server answers, while the test watches the server's memory.

Raw sockets rather than httpx: an HTTP client writes the whole body before it reads the
answer, so it can neither show that the server answered early nor stop sending when it did.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024


@dataclass(frozen=True)
class ProbeResult:
    status: int  # 0: the server closed without an answer
    seconds: float  # from the request's head to the answer's status line
    body_sent: int  # bytes of body the server let through before answering
    answer: bytes  # the answer's head and the start of its body


def _body_chunk(size: int) -> bytes:
    # inside a JSON string, so a server that parses the body pays for a huge str too
    return b"a" * size


def _pieces(opening: bytes, filler: int, closing: bytes, chunked: bool) -> Iterator[bytes]:
    block = _body_chunk(MiB)
    raw = [opening, *(block[: min(MiB, filler - at)] for at in range(0, filler, MiB)), closing]
    for piece in raw:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def post_huge_body(
    port: int,
    path: str,
    size: int,
    *,
    chunked: bool = False,
    headers: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> ProbeResult:
    """POST a JSON body of ``size`` bytes (``{"applicant": "aaa…"}``), declared by
    Content-Length or sent chunked, and stop sending as soon as the server answers."""
    opening, closing = b'{"applicant": "', b'"}'
    filler = size - len(opening) - len(closing)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()

    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(head)
        started = time.monotonic()
        sent = 0
        for piece in _pieces(opening, filler, closing, chunked):
            while piece:
                readable, writable, _ = select.select([sock], [sock], [], timeout)
                if readable:
                    break
                if not writable:
                    raise TimeoutError(f"the server neither read nor answered in {timeout} s")
                try:
                    n = sock.send(piece)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += n
                piece = piece[n:]
            if piece:  # the server answered or hung up before taking it all
                break
        answer = _read_answer(sock, timeout)
        seconds = time.monotonic() - started
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return ProbeResult(status, seconds, min(sent, size), answer)


def _read_answer(sock: socket.socket, timeout: float) -> bytes:
    """The answer's head and its body (by its Content-Length), or what came before a close."""
    sock.settimeout(timeout)
    answer = b""
    try:
        while True:
            head, sep, body = answer.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(body) >= length:
                    return answer
            data = sock.recv(65536)
            if not data:
                return answer
            answer += data
    except (ConnectionResetError, TimeoutError):
        return answer


class Memory:
    """A process's resident memory from /proc: now, and its peak since the last reset."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def _status(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise LookupError(field)

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak(self) -> int:
        return self._status("VmHWM")

    def reset_peak(self) -> None:
        # "5" resets the peak resident set size to the current one (Linux 4.0+)
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
