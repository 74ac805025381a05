"""Reading an upload's body within its limit, as it streams: never more than the limit in
memory, and a large one spooled to disk as it arrives.

Handlers call these after their dependencies ran, so a caller without a valid token is
refused before a byte of the body is read (hub.body_limit caps the route as well; these
keep a handler safe on its own)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fastapi import Request

from hub.body_limit import too_large


async def read_capped(request: Request, limit: int) -> bytearray:
    """The whole body, for content parsed whole anyway (a catalog file). One growing buffer:
    ``request.body()`` keeps the chunks and joins them, twice the size at its peak."""
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            raise too_large(limit)
        body += chunk
    return body


@dataclass
class Spooled:
    file: IO[bytes]  # an anonymous file, gone when closed
    size: int

    def read(self) -> bytes:
        self.file.seek(0)
        return self.file.read()


@contextlib.asynccontextmanager
async def spooled(request: Request, limit: int, directory: Path) -> AsyncIterator[Spooled]:
    """The body in an anonymous file under ``directory`` (the hub's disk: /tmp may be
    memory), refused as soon as it passes ``limit``."""
    with tempfile.TemporaryFile(dir=directory) as file:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            # chunks are small (the server's read size) and land in the page cache: writing
            # them on the loop costs less than a thread hop per chunk
            file.write(chunk)
        yield Spooled(file, size)
