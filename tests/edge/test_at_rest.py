"""What a unit keeps on disk is its own and is what it was: the data directory 0700 and its
files 0600 at every start (a loose mode is tightened and logged), files written after
`edge run` sets the umask private, and a cached artifact changed on disk since it was
verified (same size, other bytes) is hashed again on load and thrown away, not trusted by its
size after a restart."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat

from edge.agent import build_agent
from edge.config.artifacts import ArtifactFetcher
from edge.private_files import private_umask, secure_data_dir
from edge.settings import EdgeSettings
from protocol.config import ArtifactRef
from protocol.signing import generate_key, public_key_to_text
from simulators.kit import SimulatedKit

KEY = generate_key()


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_start_makes_the_data_dir_private_and_says_what_it_fixed(tmp_path, caplog):
    data = tmp_path / "unit"
    (data / "config").mkdir(parents=True)
    os.chmod(data, 0o755)
    leaked = data / "signatures.sqlite3"
    leaked.write_bytes(b"strokes")
    os.chmod(leaked, 0o644)
    os.chmod(data / "config", 0o775)
    settings = EdgeSettings(
        unit_id="t001", data_dir=data, event_rate=0,
        hub_public_key=public_key_to_text(KEY.public_key()),
    )  # fmt: skip

    async def start():
        agent = build_agent(settings, kit=SimulatedKit(settings))
        await agent.event_log.close()

    before = private_umask()  # as `edge run` does before building the agent
    try:
        asyncio.run(start())
    finally:
        os.umask(before)
    assert _mode(data) == 0o700
    assert _mode(data / "config") == 0o700
    assert _mode(leaked) == 0o600
    for path in data.rglob("*"):
        assert _mode(path) & 0o077 == 0, f"{path} is readable by others"
    assert "signatures.sqlite3 was mode 644" in caplog.text
    assert secure_data_dir(data) == []  # nothing left to fix


def test_after_the_private_umask_new_files_are_the_units_alone(tmp_path):
    before = private_umask()
    try:
        made = tmp_path / "outbox.sqlite3"
        made.write_bytes(b"x")
        (tmp_path / "d").mkdir()
        assert _mode(made) == 0o600
        assert _mode(tmp_path / "d") == 0o700
    finally:
        os.umask(before)


def test_a_cached_artifact_altered_on_disk_is_hashed_again_and_not_used(tmp_path):
    content = b'{"matters": []}' * 10
    digest = hashlib.sha256(content).hexdigest()
    ref = ArtifactRef(
        kind="catalog_slice", sha256=digest, size=len(content), path=f"/artifacts/{digest}"
    )
    cache = tmp_path / "artifacts"
    cache.mkdir()
    (cache / digest).write_bytes(content)
    fetcher = ArtifactFetcher(cache, None)
    assert fetcher.cached(ref) == cache / digest  # verified by its hash, once

    # a restart, and meanwhile someone swapped the bytes keeping the size
    forged = content.replace(b"[]", b"{}")
    assert len(forged) == len(content)
    (cache / digest).write_bytes(forged)
    restarted = ArtifactFetcher(cache, None)
    assert restarted.cached(ref) is None
    assert not (cache / digest).exists()
    # the same process notices too: a file changed after it was verified
    (cache / digest).write_bytes(content)
    assert fetcher.cached(ref) is not None
    (cache / digest).write_bytes(forged)
    os.utime(cache / digest, ns=(1, 1))
    assert fetcher.cached(ref) is None
