"""A NATS server cluster speaking MQTT 3.1.1, for running the fleet beyond one broker: the
configuration of each node (cluster routes, JetStream store, MQTT listener, per-unit users and
permissions mapped from our ACL model) and the processes that run them on one machine.

Used by `bianmin broker nats-cluster` and the cluster tests (docs/cluster.md). What NATS 2.9
(Debian's nats-server) does with our configuration, as verified against that binary:

- MQTT topics are NATS subjects with ``/`` turned into ``.``: ``bianmin/v1/u/t1/tx`` is
  ``bianmin.v1.u.t1.tx``, and ``+``/``#`` are ``*``/``>``. Permissions are written on subjects.
- A unit may publish its own up channels and subscribe to its own down channels, each by its
  literal subject, as in Mosquitto's dynamic-security roles (provisioning/dynsec.py); a
  wildcard filter is a different subject and is refused. Units connect over MQTT only.
- What does not map: NATS binds no MQTT client id to a user, so a unit cannot be held to its
  own client id (another unit's credentials could take its session over); ``$share`` is not
  understood, so the hub joins a native queue group instead (hub/ingest/natsqueue.py); there
  is no per-delivery receive check (a subscription that is allowed receives what matches it).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mqttio import BrokerUrl
from protocol import topics
from protocol.topics import DOWN_CHANNELS, HUB_USER, ROOT, UP_CHANNELS
from protocol.topics import nats_subject as subject
from provisioning.credentials import Credentials
from provisioning.errors import BrokerError
from provisioning.mosquitto import free_port, packet_limit

NATS_BINARIES = ("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")
CLUSTER_NAME = "bianmin"
# The hub's native connections join this queue group: NATS's equivalent of $share/hub.
QUEUE_GROUP = topics.SHARE_GROUP
# The subjects JetStream delivers an MQTT client's QoS 1 subscriptions on (one per
# subscription, random): the server subscribes on the client's behalf, under its permissions.
MQTT_DELIVERY = "$MQTT.sub.>"


def nats_binary() -> str | None:
    from shutil import which

    return which("nats-server") or next((p for p in NATS_BINARIES if Path(p).exists()), None)


def unit_permissions(unit: str) -> dict[str, object]:
    """Publish its own up channels, subscribe to its own down channels, each literally."""
    return {
        "publish": {"allow": [subject(topics.topic(unit, ch)) for ch in UP_CHANNELS]},
        "subscribe": {
            "allow": [subject(topics.topic(unit, ch)) for ch in DOWN_CHANNELS] + [MQTT_DELIVERY]
        },
    }


def hub_permissions() -> dict[str, object]:
    """Everything under the root, over MQTT (configs, acks) and natively (the queue group);
    the inbox subjects are nats-py's request replies (flush, drain)."""
    everything = subject(f"{ROOT}/#")
    return {
        "publish": {"allow": [everything]},
        "subscribe": {"allow": [everything, "_INBOX.>", MQTT_DELIVERY]},
    }


def users(creds: Credentials) -> list[dict[str, object]]:
    """The users block: the hub (native and MQTT connections) and one user per unit (MQTT only).
    Passwords are written as given; the file is 0600 (nats-server also takes bcrypt hashes,
    which `nats server passwd` makes, for deployments)."""
    hub: dict[str, object] = {
        "user": HUB_USER,
        "password": creds.hub_password,
        "permissions": hub_permissions(),
        "allowed_connection_types": ["STANDARD", "MQTT"],
    }
    units: list[dict[str, object]] = [
        {
            "user": unit,
            "password": password,
            "permissions": unit_permissions(unit),
            "allowed_connection_types": ["MQTT"],
        }
        for unit, password in sorted(creds.units.items())
    ]
    return [hub, *units]


@dataclass
class NatsNode:
    """One node's ports and directory."""

    name: str
    data_dir: Path
    client_port: int
    cluster_port: int
    mqtt_port: int
    monitor_port: int
    host: str = "127.0.0.1"

    @property
    def conf_path(self) -> Path:
        return self.data_dir / "nats.conf"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "nats.log"

    @property
    def mqtt_url(self) -> BrokerUrl:
        return BrokerUrl(self.host, self.mqtt_port)

    @property
    def nats_url(self) -> str:
        return f"nats://{self.host}:{self.client_port}"


@dataclass
class NatsClusterConfig:
    """Three (or more) nodes on one host, routed to each other."""

    root: Path
    credentials: Credentials
    nodes: list[NatsNode] = field(default_factory=list)
    host: str = "127.0.0.1"

    @classmethod
    def on_free_ports(
        cls, root: Path, credentials: Credentials, size: int = 3, host: str = "127.0.0.1"
    ) -> NatsClusterConfig:
        nodes = [NatsNode(f"n{i + 1}", root / f"n{i + 1}", 0, 0, 0, 0, host) for i in range(size)]
        config = cls(root, credentials, nodes, host)
        config.assign_ports()
        return config

    def conf_text(self, node: NatsNode) -> str:
        # JSON is valid NATS configuration syntax, and quoting it this way leaves nothing to
        # escape by hand (passwords, paths).
        doc: dict[str, object] = {
            "server_name": node.name,
            "listen": f"{node.host}:{node.client_port}",
            # /healthz: whether the node's JetStream is up and current (start() waits for it)
            "http": f"{node.host}:{node.monitor_port}",
            # the largest message the protocol sends, with its topic and headers
            "max_payload": packet_limit(),
            "jetstream": {
                "store_dir": str(node.data_dir / "jetstream"),
                "max_memory_store": 64 * 1024 * 1024,
                "max_file_store": 1024 * 1024 * 1024,
            },
            "cluster": {
                "name": CLUSTER_NAME,
                "listen": f"{node.host}:{node.cluster_port}",
                "routes": [
                    f"nats-route://{n.host}:{n.cluster_port}" for n in self.nodes if n is not node
                ],
            },
            "mqtt": {
                "listen": f"{node.host}:{node.mqtt_port}",
                # how long a QoS 1 delivery waits for its PUBACK before it is sent again
                "ack_wait": "10s",
                # sessions, retained messages and QoS 1 messages on every node: any one may go
                "stream_replicas": min(3, len(self.nodes)),
            },
            "authorization": {"users": users(self.credentials)},
        }
        return "# generated by bianmin; edit the generator, not this file\n" + json.dumps(
            doc, indent=1
        )

    def assign_ports(self) -> None:
        """New free ports for every node (a route names the others', so all change)."""
        for node in self.nodes:
            ports = _free_ports(node.host, 4)
            node.client_port, node.cluster_port, node.mqtt_port, node.monitor_port = ports

    def write(self) -> None:
        for node in self.nodes:
            node.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(node.conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.conf_text(node))

    def mqtt_urls(self) -> list[BrokerUrl]:
        return [n.mqtt_url for n in self.nodes]

    def nats_urls(self) -> list[str]:
        return [n.nats_url for n in self.nodes]


def _free_ports(host: str, n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port(host))
    return list(ports)


class NatsCluster:
    """The nodes as child processes: start all, SIGKILL one, start it again, stop all."""

    def __init__(self, config: NatsClusterConfig, binary: str | None = None) -> None:
        found = binary or nats_binary()
        if found is None:
            raise BrokerError("nats-server is not installed (Debian: apt-get install nats-server)")
        self.binary = found
        self.config = config
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def nodes(self) -> list[NatsNode]:
        return self.config.nodes

    def start(self, attempts: int = 3) -> None:
        """Start every node and wait until each is healthy. The ports were free when chosen;
        if another process took one since, start again on new ones."""
        for attempt in range(attempts):
            self.config.write()
            for node in self.nodes:
                self._spawn(node)
            try:
                for node in self.nodes:
                    self._wait_healthy(node)
                return
            except BrokerError as exc:
                self.stop()
                if "address already in use" not in str(exc) or attempt == attempts - 1:
                    raise
                self.config.assign_ports()

    def start_node(self, node: NatsNode) -> None:
        self._spawn(node)
        self._wait_healthy(node)

    def kill(self, node: NatsNode) -> None:
        """SIGKILL: no goodbye to clients or routes, as a crashed machine."""
        proc = self.procs.pop(node.name, None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        """Terminate every node (SIGKILL after 10 s); the nodes run in sessions of their own,
        so nothing else stops them if this is interrupted: each is signalled before any wait."""
        procs, self.procs = list(self.procs.values()), {}
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def running(self) -> Iterable[NatsNode]:
        return [n for n in self.nodes if n.name in self.procs]

    def _spawn(self, node: NatsNode) -> None:
        log = open(node.log_path, "ab")  # noqa: SIM115 - the child owns it for its whole life
        self.procs[node.name] = subprocess.Popen(
            [self.binary, "-c", str(node.conf_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def _wait_healthy(self, node: NatsNode, timeout: float = 30.0) -> None:
        """Until the node's MQTT listener is up and its JetStream has joined the cluster's
        (MQTT clients are refused before: their sessions live in JetStream)."""
        deadline = time.monotonic() + timeout
        url = f"http://{node.host}:{node.monitor_port}/healthz"
        proc = self.procs[node.name]
        while not (_listening(node.host, node.mqtt_port) and _healthy(url)):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = "exited" if proc.poll() is not None else f"is not healthy after {timeout}s"
                text = node.log_path.read_text(errors="replace")[-3000:]
                raise BrokerError(f"nats-server {node.name} {why}; its log:\n{text}")
            time.sleep(0.1)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(json.load(reply).get("status") == "ok")
    except (OSError, ValueError):
        return False  # not up yet (503 while JetStream catches up is an HTTPError: OSError)

    def __enter__(self) -> NatsCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
