"""Serving artifacts to units: GET /artifacts/{sha256}, with HTTP Range so a cut download
resumes where it stopped.

Content never changes under a hash, so each process caches freely: small artifacts (catalog
slices, a few KB gzipped) in memory, large ones (model bundles) as files it streams. A cold
cache reads the database once. The route is deliberately plain (no auth, no dependencies):
ten thousand units fetching a slice is the hot path of a county-wide rollout, and the unit
trusts the signed hash, not the server.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from hub.artifacts.store import artifact_content
from protocol.config import Sha256

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable", "Accept-Ranges": "bytes"}
router = APIRouter()


class ArtifactCache:
    def __init__(
        self, directory: Path, *, memory_bytes: int = 64 << 20, item_bytes: int = 4 << 20
    ) -> None:
        self.directory = directory
        self.memory_bytes = memory_bytes
        self.item_bytes = item_bytes
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def cached(self, sha256: str) -> bytes | Path | None:
        """The artifact from memory or this process's files, without touching the database."""
        with self._lock:
            data = self._memory.get(sha256)
            if data is not None:
                self._memory.move_to_end(sha256)
                return data
        path = self.directory / sha256
        return path if path.exists() else None

    def load(self, engine: Engine, sha256: str) -> bytes | Path:
        """Fetch from the database into the cache (raises ArtifactNotFound)."""
        found = self.cached(sha256)
        if found is not None:
            return found
        content = artifact_content(engine, sha256)
        if len(content) <= self.item_bytes:
            self._remember(sha256, content)
            return content
        path = self.directory / sha256
        tmp = path.with_name(f".{sha256}.{secrets.token_hex(4)}.new")
        tmp.write_bytes(content)
        os.replace(tmp, path)
        return path

    def _remember(self, sha256: str, content: bytes) -> None:
        with self._lock:
            if sha256 in self._memory:
                return
            self._memory[sha256] = content
            self._held += len(content)
            while self._held > self.memory_bytes and len(self._memory) > 1:
                _, dropped = self._memory.popitem(last=False)
                self._held -= len(dropped)


def ranged(data: bytes, header: str | None, etag: str) -> Response:
    """The whole body, or the one range asked for (206); 416 for a range past the end. A
    header we do not understand (several ranges, suffix ranges) gets the whole body, which
    HTTP allows."""
    headers = {**_HEADERS, "ETag": etag}
    size = len(data)
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return Response(data, 200, headers, media_type="application/octet-stream")
    start = int(match.group(1))
    end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    if start >= size or end < start:
        return Response(b"", 416, {**headers, "Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(data[start : end + 1], 206, headers, media_type="application/octet-stream")


@router.get("/artifacts/{sha256}")
async def serve_artifact(sha256: Sha256, request: Request) -> Response:
    cache: ArtifactCache = request.app.state.artifact_cache
    found = cache.cached(sha256)
    if found is None:
        found = await run_in_threadpool(cache.load, request.app.state.engine, sha256)
    etag = f'"{sha256}"'
    if isinstance(found, bytes):
        return ranged(found, request.headers.get("range"), etag)
    # large artifacts: Starlette streams the file and handles Range itself
    return FileResponse(
        found, media_type="application/octet-stream", headers={**_HEADERS, "ETag": etag}
    )
