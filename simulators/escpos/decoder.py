"""An incremental ESC/POS parser for the command set the unit's driver emits, and no more.

Bytes may arrive in any split (TCP segments); `feed` returns the commands complete so far and
keeps the rest. An unknown command is returned as `Unknown` so the printer can reject it loudly:
a driver change that emits something new must come with decoding for it here.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, FS, DLE, EOT, LF, CR = 0x1B, 0x1D, 0x1C, 0x10, 0x04, 0x0A, 0x0D

# ESC/GS/FS commands with a fixed number of parameter bytes
FIXED: dict[bytes, int] = {
    b"\x1b@": 0,  # initialise
    b"\x1ba": 1,  # justification
    b"\x1bE": 1,  # emphasis (bold)
    b"\x1b3": 1,  # line spacing in dots
    b"\x1b2": 0,  # default line spacing
    b"\x1bd": 1,  # print and feed n lines
    b"\x1d!": 1,  # character size (GS !)
    b"\x1c&": 0,  # Chinese (Kanji) mode on
    b"\x1c.": 0,  # Chinese mode off
}


@dataclass(frozen=True)
class Text:
    data: bytes  # a run of text bytes (GB18030 in Chinese mode)


@dataclass(frozen=True)
class Command:
    name: bytes  # e.g. b"\x1ba"
    args: bytes


@dataclass(frozen=True)
class Raster:
    """GS v 0: width in bytes, height in rows, 1 bit per dot, 1 = black."""

    mode: int
    width_bytes: int
    height: int
    data: bytes


@dataclass(frozen=True)
class Symbol:
    """GS ( k: a 2D-code function (cn 49 = QR)."""

    cn: int
    fn: int
    params: bytes


@dataclass(frozen=True)
class Cut:
    mode: int


@dataclass(frozen=True)
class StatusQuery:
    n: int  # DLE EOT n


@dataclass(frozen=True)
class Unknown:
    data: bytes  # the bytes skipped
    offset: int  # in the stream


Parsed = Text | Command | Raster | Symbol | Cut | StatusQuery | Unknown


class Parser:
    def __init__(self) -> None:
        self._buf = bytearray()
        self._offset = 0  # stream offset of _buf[0]

    @property
    def pending(self) -> int:
        """Bytes of an incomplete command still waiting for the rest."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Parsed]:
        self._buf += data
        out: list[Parsed] = []
        i = 0
        buf = self._buf
        n = len(buf)
        while i < n:
            b = buf[i]
            if b >= 0x20 or b in (LF, CR):
                if b in (LF, CR):
                    out.append(Command(bytes([b]), b""))
                    i += 1
                    continue
                j = i
                while j < n and buf[j] >= 0x20:
                    j += 1
                out.append(Text(bytes(buf[i:j])))
                i = j
                continue
            item, used = self._command(i)
            if used == 0:
                break  # incomplete: wait for more bytes
            out.append(item)
            i += used
        self._offset += i
        del self._buf[:i]
        return out

    def _command(self, i: int) -> tuple[Parsed, int]:
        buf, n = self._buf, len(self._buf)
        b = buf[i]
        if b == DLE:
            if n - i < 3:
                return Unknown(b"", 0), 0
            if buf[i + 1] == EOT and buf[i + 2] in (1, 2, 3, 4):
                return StatusQuery(buf[i + 2]), 3
            return Unknown(bytes(buf[i : i + 2]), self._offset + i), 2
        if b not in (ESC, GS, FS):
            return Unknown(bytes([b]), self._offset + i), 1
        if n - i < 2:
            return Unknown(b"", 0), 0
        two = bytes(buf[i : i + 2])
        if two in FIXED:
            k = FIXED[two]
            if n - i < 2 + k:
                return Unknown(b"", 0), 0
            return Command(two, bytes(buf[i + 2 : i + 2 + k])), 2 + k
        if two == b"\x1dv":  # GS v 0 m xL xH yL yH d1..dk
            if n - i < 8:
                return Unknown(b"", 0), 0
            if buf[i + 2] not in (0x30, 0x00):
                return Unknown(bytes(buf[i : i + 3]), self._offset + i), 3
            wb = buf[i + 4] | buf[i + 5] << 8
            h = buf[i + 6] | buf[i + 7] << 8
            if n - i < 8 + wb * h:
                return Unknown(b"", 0), 0
            data = bytes(buf[i + 8 : i + 8 + wb * h])
            return Raster(buf[i + 3], wb, h, data), 8 + wb * h
        if two == b"\x1d(":  # GS ( k pL pH cn fn [params]
            if n - i < 5:
                return Unknown(b"", 0), 0
            if buf[i + 2] != ord("k"):
                return Unknown(bytes(buf[i : i + 3]), self._offset + i), 3
            ln = buf[i + 3] | buf[i + 4] << 8
            if n - i < 5 + ln:
                return Unknown(b"", 0), 0
            body = bytes(buf[i + 5 : i + 5 + ln])
            return Symbol(body[0], body[1], body[2:]), 5 + ln
        if two == b"\x1dV":  # GS V m  |  GS V m n (m = 65, 66: feed n then cut)
            if n - i < 3:
                return Unknown(b"", 0), 0
            m = buf[i + 2]
            if m in (0, 1, 48, 49):
                return Cut(m), 3
            if m in (65, 66):
                if n - i < 4:
                    return Unknown(b"", 0), 0
                return Cut(m), 4
            return Unknown(bytes(buf[i : i + 3]), self._offset + i), 3
        return Unknown(two, self._offset + i), 2
