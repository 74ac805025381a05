"""Download artifacts from the hub by their signed pointer: resume with HTTP Range, accept only
bytes whose SHA-256 matches, and keep them in a cache addressed by that hash.

A partial download stays as ``<sha256>.part``; the next attempt (after a cut link, a reboot)
asks only for the missing tail. The finished file is verified before it is renamed into the
cache, so a cache entry is always whole and correct.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from edge.config.files import fsync_dir
from edge.errors import ArtifactHashMismatch, ArtifactUnavailable
from protocol.config import ArtifactRef

log = logging.getLogger("bianmin.edge.artifacts")
_HASH_IN_THREAD_BYTES = 4 * 1024 * 1024


@dataclass
class FetchStats:
    downloads: int = 0
    cache_hits: int = 0
    resumed: int = 0
    bytes_received: int = 0
    failures: int = 0
    # the byte offsets each request started from, in order (0 = from the start)
    range_starts: list[int] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class _Retry(Exception):
    """This attempt failed in a way another attempt may fix."""


class _Part:
    """A partial download on local disk. Its operations are small and local, so they run on
    the event loop; only hashing a large file goes to a thread."""

    def __init__(self, path: Path, durable: bool) -> None:
        self.path = path
        self.durable = durable
        self._fh: BinaryIO | None = None

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def open(self, offset: int) -> None:
        self._fh = open(self.path, "ab" if offset else "wb")  # noqa: SIM115 - closed in close()

    def write(self, chunk: bytes) -> None:
        assert self._fh is not None
        self._fh.write(chunk)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            if self.durable:
                os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def promote(self, final: Path) -> None:
        os.replace(self.path, final)
        if self.durable:
            fsync_dir(final.parent)


class ArtifactFetcher:
    def __init__(
        self,
        cache_dir: Path,
        base_url: str | None,
        client: httpx.AsyncClient | None = None,
        *,
        attempts: int = 4,
        retry_delay_s: float = 0.5,
        timeout_s: float = 30.0,
        durable: bool = True,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.cache_dir = cache_dir
        # for the client made here (a given one verifies as its owner set it up)
        self.verify = verify
        self.base_url = base_url.rstrip("/") if base_url else None
        self._client = client
        self._own_client = client is None
        self.attempts = attempts
        self.retry_delay_s = retry_delay_s
        self.timeout_s = timeout_s
        self.durable = durable
        self.stats = FetchStats()
        # files this process hashed (or wrote after hashing): sha256 -> (size, mtime, inode).
        # Only these are trusted without hashing again; a file found after a restart, or
        # changed since, is hashed before use: the disk is not trusted by a file's size.
        self._verified: dict[str, tuple[int, int, int]] = {}
        cache_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        return self.cache_dir / sha256

    def cached(self, ref: ArtifactRef) -> Path | None:
        """The cached file for ``ref`` if its content is ``ref``'s: hashed once per process
        (and again when the file changed); a file that does not match is removed."""
        path = self.path_for(ref.sha256)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        seen = (st.st_size, st.st_mtime_ns, st.st_ino)
        if st.st_size != ref.size:
            return None
        if self._verified.get(ref.sha256) == seen:
            return path
        actual = sha256_file(path)
        if actual != ref.sha256:
            log.warning("artifact %s: cached file hashes to %s; removed", ref.sha256[:12], actual)
            path.unlink(missing_ok=True)
            self._verified.pop(ref.sha256, None)
            return None
        self._verified[ref.sha256] = seen
        return path

    async def fetch(self, ref: ArtifactRef) -> Path:
        """Return the verified file for ``ref``, downloading (and resuming) when needed."""
        found = self.cached(ref)
        if found is not None:
            self.stats.cache_hits += 1
            return found
        if self.base_url is None:
            raise ArtifactUnavailable("no hub URL is configured, so artifacts cannot be fetched")
        part = _Part(self.cache_dir / f"{ref.sha256}.part", self.durable)
        last = "no attempt made"
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.retry_delay_s * 2 ** (attempt - 1))
            try:
                await self._download(ref, part)
            except _Retry as exc:
                last = str(exc)
                self.stats.failures += 1
                log.info("artifact %s: attempt %d failed: %s", ref.sha256[:12], attempt + 1, exc)
                continue
            return await self._accept(ref, part)
        raise ArtifactUnavailable(f"{ref.path}: {last} (after {self.attempts} attempts)")

    def prune(self, keep: set[str]) -> int:
        """Delete whole cached artifacts the running config does not use. Partial downloads
        stay: a config that failed on a cut link resumes them when it comes again."""
        removed = 0
        for entry in self.cache_dir.iterdir():
            if "." not in entry.name and entry.name not in keep:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed

    async def close(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- internals --------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s, verify=self.verify)
        return self._client

    async def _download(self, ref: ArtifactRef, part: _Part) -> None:
        offset = part.size()
        if offset > ref.size:
            part.discard()
            offset = 0
        if offset == ref.size:
            return
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        self.stats.range_starts.append(offset)
        try:
            async with self._http().stream(
                "GET", f"{self.base_url}{ref.path}", headers=headers
            ) as resp:
                if resp.status_code == 416:  # our partial file is not a prefix any more
                    part.discard()
                    raise _Retry("the hub refused the range; starting again")
                if resp.status_code == 404:
                    raise ArtifactUnavailable(f"{ref.path}: the hub has no such artifact (404)")
                if resp.status_code not in (200, 206):
                    raise _Retry(f"HTTP {resp.status_code}")
                if resp.status_code == 206:
                    self._check_range(resp, offset)
                    self.stats.resumed += offset > 0
                else:
                    offset = 0  # the server ignored the range: the body is the whole file
                await self._write_body(resp, part, offset, ref)
        except httpx.HTTPError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        self.stats.downloads += 1

    @staticmethod
    def _check_range(resp: httpx.Response, offset: int) -> None:
        content_range = resp.headers.get("content-range", "")
        if not content_range.startswith(f"bytes {offset}-"):
            raise _Retry(f"asked for bytes {offset}- but got {content_range!r}")

    async def _write_body(
        self, resp: httpx.Response, part: _Part, offset: int, ref: ArtifactRef
    ) -> None:
        written = offset
        part.open(offset)
        try:
            async for chunk in resp.aiter_bytes():
                written += len(chunk)
                self.stats.bytes_received += len(chunk)
                if written > ref.size:
                    part.discard()
                    raise ArtifactHashMismatch(
                        f"{ref.path}: longer than the {ref.size} bytes the config declares"
                    )
                part.write(chunk)
        finally:
            part.close()  # what arrived stays, for the next attempt to resume from
        if written < ref.size:
            raise _Retry(f"connection ended after {written} of {ref.size} bytes")

    async def _accept(self, ref: ArtifactRef, part: _Part) -> Path:
        if ref.size > _HASH_IN_THREAD_BYTES:
            actual = await asyncio.to_thread(sha256_file, part.path)
        else:
            actual = sha256_file(part.path)
        if actual != ref.sha256:
            part.discard()
            raise ArtifactHashMismatch(
                f"{ref.path}: SHA-256 is {actual}, the signed config says {ref.sha256}"
            )
        final = self.path_for(ref.sha256)
        part.promote(final)
        st = final.stat()
        self._verified[ref.sha256] = (st.st_size, st.st_mtime_ns, st.st_ino)
        return final
