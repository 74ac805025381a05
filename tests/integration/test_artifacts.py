"""Artifact downloads from a real hub over HTTP: a download cut half-way resumes with a Range
request, and bytes that do not match the signed hash are refused, on both databases."""

import asyncio
import contextlib
import hashlib
import os

import pytest
from sqlmodel import Session

from edge.config import ArtifactFetcher
from edge.errors import ArtifactHashMismatch, ArtifactUnavailable
from hub.artifacts.store import put_artifact
from protocol.config import ArtifactKind, ArtifactRef
from tests.integration.rollout_helpers import hub_server

pytestmark = pytest.mark.integration
CONTENT = os.urandom(1_000_000)  # a model bundle, say
SHA = hashlib.sha256(CONTENT).hexdigest()
SIZE = len(CONTENT)


class CuttingProxy:
    """Forwards TCP to the hub; the first connection dies after ``budget`` response bytes,
    as a village's mobile link does in the middle of a download."""

    def __init__(self, target_port: int, budget: int) -> None:
        self.target_port = target_port
        self.budget = budget
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> "CuttingProxy":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader, writer) -> None:
        self.connections += 1
        limit = self.budget if self.connections == 1 else None
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pump(src, dst, budget):
            sent = 0
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    if budget is not None and sent + len(data) > budget:
                        dst.write(data[: budget - sent])
                        await dst.drain()
                        break
                    sent += len(data)
                    dst.write(data)
                    await dst.drain()
            for w in (writer, up_writer):
                w.close()

        await asyncio.gather(pump(reader, up_writer, None), pump(up_reader, writer, limit))


def ref(sha=SHA, size=SIZE, path=f"/artifacts/{SHA}"):
    return ArtifactRef(kind=ArtifactKind.MODEL_BUNDLE, sha256=sha, size=size, path=path)


@pytest.fixture(params=["memory", "file"])
def serving(request):
    """Small artifacts are served from memory, large ones streamed from a file: test both."""
    return request.param


async def _hub_with_artifact(database_url, tmp_path, serving):
    hub = hub_server(None, database_url, tmp_path / "hub")
    entered = await hub.__aenter__()
    if serving == "file":
        entered.app.state.artifact_cache.item_bytes = 100_000
    with Session(entered.engine) as s:
        put_artifact(s, content=CONTENT, kind=ArtifactKind.MODEL_BUNDLE, media_type="x")
        s.commit()
    return hub, entered


def test_a_download_cut_half_way_resumes_where_it_stopped(database_url, tmp_path, serving):
    async def scenario():
        ctx, hub = await _hub_with_artifact(database_url, tmp_path, serving)
        try:
            port = int(hub.url.rsplit(":", 1)[1])
            async with CuttingProxy(port, budget=400_000) as proxy:
                fetcher = ArtifactFetcher(tmp_path / "cache", proxy.url, retry_delay_s=0.01)
                path = await fetcher.fetch(ref())
                await fetcher.close()
                return path, fetcher.stats
        finally:
            await ctx.__aexit__(None, None, None)

    path, stats = asyncio.run(scenario())
    assert path.read_bytes() == CONTENT
    assert stats.range_starts[0] == 0
    assert len(stats.range_starts) == 2
    assert 100_000 < stats.range_starts[1] < len(CONTENT)  # the second asked only for the rest
    assert stats.resumed == 1
    assert stats.bytes_received < 2 * len(CONTENT)
    assert not list((tmp_path / "cache").glob("*.part"))


def test_bytes_that_do_not_match_the_signed_hash_are_refused(database_url, tmp_path, serving):
    """GIVEN a config whose pointer says one hash but leads to other bytes
    WHEN the unit downloads them
    THEN it refuses them and keeps nothing, neither in the cache nor as a partial file."""
    forged = hashlib.sha256(b"what the config promised").hexdigest()

    async def scenario():
        ctx, hub = await _hub_with_artifact(database_url, tmp_path, serving)
        try:
            fetcher = ArtifactFetcher(tmp_path / "cache", hub.url)
            with pytest.raises(ArtifactHashMismatch, match=forged):
                await fetcher.fetch(ref(sha=forged))
            with pytest.raises(ArtifactHashMismatch, match="longer than"):
                await fetcher.fetch(ref(sha=forged, size=1000))
            with pytest.raises(ArtifactUnavailable, match="404"):
                await fetcher.fetch(ref(sha=forged, path=f"/artifacts/{forged}"))
            await fetcher.close()
        finally:
            await ctx.__aexit__(None, None, None)

    asyncio.run(scenario())
    assert list((tmp_path / "cache").iterdir()) == []
