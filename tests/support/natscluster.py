"""A three-node NATS cluster speaking MQTT, for tests of the fleet beyond one broker
(provisioning/nats.py writes its configuration; docs/cluster.md says what it verifies)."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mqttio import BrokerUrl
from protocol.topics import HUB_USER
from provisioning import credentials
from provisioning.credentials import Credentials
from provisioning.nats import NatsCluster, NatsClusterConfig, NatsNode, nats_binary


def require_nats() -> None:
    """Skip without nats-server on a developer's machine, fail in CI (tests/conftest.py)."""
    if nats_binary() is None:
        from tests.conftest import _require

        _require("NATS", "nats-server is not installed (apt-get install nats-server)")


@dataclass
class ServedCluster:
    cluster: NatsCluster
    creds: Credentials

    @property
    def nodes(self) -> list[NatsNode]:
        return self.cluster.nodes

    def mqtt_urls(self, first: int = 0) -> list[BrokerUrl]:
        """Every node's MQTT address, starting at node ``first`` (so clients spread)."""
        urls = self.cluster.config.mqtt_urls()
        return urls[first:] + urls[:first]

    def nats_urls(self, first: int = 0) -> list[str]:
        urls = self.cluster.config.nats_urls()
        return urls[first:] + urls[:first]

    def hub_urls(self, first: int = 0) -> list[BrokerUrl]:
        password = self.creds.hub_password
        return [u.with_credentials(HUB_USER, password) for u in self.mqtt_urls(first)]

    def unit_urls(self, unit: str, first: int = 0) -> list[BrokerUrl]:
        password = self.creds.password_for(unit)
        return [u.with_credentials(unit, password) for u in self.mqtt_urls(first)]


@contextlib.contextmanager
def nats_cluster(root: Path, units: list[str]) -> Iterator[ServedCluster]:
    """Three nodes on free loopback ports with credentials for ``units``; stopped on the way
    out (a node the test killed included)."""
    require_nats()
    creds = credentials.generate(units)
    cluster = NatsCluster(NatsClusterConfig.on_free_ports(root, creds))
    cluster.start()
    try:
        yield ServedCluster(cluster, creds)
    finally:
        cluster.stop()


@contextlib.contextmanager
def artifact_server(content: bytes) -> Iterator[str]:
    """Serve one artifact at /artifacts/{sha256} on loopback, as the hub serves it to units;
    yields the base URL. For tests whose hub processes run without the web app."""
    path = f"/artifacts/{hashlib.sha256(content).hexdigest()}"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != path:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
