"""The unbounded-body attack, replayed against a real `bianmin hub serve --environment
production` process: an anonymous client POSTs 400 MiB and the test watches the hub's memory.

Before the body limits, the hub read and parsed the whole body before it checked the token:
98 MB grew to 1.36 GB, and the 401 came after 2.5 s. Now the answer comes before the body is
read, and the hub's peak memory barely moves."""

import os
import subprocess

import httpx
import pytest

from provisioning.mosquitto import free_port
from tests.support.bodyprobe import Memory, MiB, post_huge_body
from tests.support.processes import BIANMIN, stop
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

ATTACK = 400 * MiB
# The hub's own noise (a heartbeat, the ingest consumer) plus the server's read buffers; the
# attack used to cost 1,260 MB.
MAX_GROWTH = 20 * 1000 * 1000


@pytest.fixture(scope="module")
def hub(broker, tmp_path_factory):
    root = tmp_path_factory.mktemp("probe-hub")
    key = root / "hub_signing_key.pem"
    keygen = [BIANMIN, "hub", "keygen", "--key-file", str(key)]
    subprocess.run(keygen, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [BIANMIN, "hub", "serve", "--environment", "production", "--port", str(port),
         "--database", f"sqlite:///{root / 'hub.db'}", "--broker", str(broker.url),
         "--data-dir", str(root)],
        env={**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": broker.creds.hub_password},
    )  # fmt: skip

    def up():
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=30, what="the hub answers /healthz")
    yield port, Memory(proc.pid)
    stop(proc)


@pytest.mark.parametrize(
    ("path", "chunked", "status"),
    [
        # a unit route's JSON body used to be read and parsed before the token check
        ("/api/unit/registry/query", False, 413),
        ("/api/unit/registry/query", True, 413),
        ("/api/rollouts", False, 413),
        # the largest route reads its body only after the token check
        ("/api/artifacts", True, 401),
    ],
)
def test_an_anonymous_400_mib_post_is_answered_at_once_without_the_hub_holding_it(
    hub, path, chunked, status
):
    port, memory = hub
    memory.reset_peak()
    before = memory.rss()
    result = post_huge_body(port, path, ATTACK, chunked=chunked)
    growth = memory.peak() - before
    # the figures for the record (pytest -s shows them)
    print(
        f"{path} chunked={chunked}: {result.status} after {result.seconds:.3f} s, "
        f"{result.body_sent / MiB:.1f} MiB sent, RSS {before / 1e6:.1f} MB, "
        f"peak +{growth / 1e6:.1f} MB"
    )
    assert result.status == status, result.answer[:300]
    assert b'"code"' in result.answer
    assert growth < MAX_GROWTH
    assert result.seconds < 2
    # the answer came while the client was still sending: the hub never waited for the body
    assert result.body_sent < 32 * MiB
