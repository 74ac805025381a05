"""Run a Mosquitto broker with a generated configuration: per-unit credentials, client ids and
topic rules, enforced by Mosquitto's dynamic-security plugin (see provisioning/dynsec.py).

Used by `bianmin broker`, the demo and the tests, so all three run the same broker setup.
"""

from __future__ import annotations

import getpass
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from mqttio import BrokerUrl, ClientTls
from protocol.messages import MAX_BYTES, MAX_SMALL_BYTES
from protocol.topics import MAX_TOPIC_BYTES
from provisioning import dynsec, dynsec_control, listeners
from provisioning.credentials import Credentials, new_password
from provisioning.errors import BrokerError

# Where Debian, Fedora and source builds put the plugin (lib/<multiarch> or lib or lib64).
_PLUGIN_GLOBS = [
    "/usr/lib/*/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto_dynamic_security.so",
    "/usr/lib64/mosquitto_dynamic_security.so",
    "/usr/local/lib/mosquitto_dynamic_security.so",
    "/usr/local/lib/*/mosquitto_dynamic_security.so",
]
# What the plugin logs when it cannot load its file; Mosquitto then runs on and refuses everyone.
_PLUGIN_FAILED = "Error loading Dynamic security plugin config"
# The bytes of a PUBLISH that Mosquitto counts besides the payload (verified on 2.0.11: it
# compares the first byte plus the remaining length with max_packet_size, and disconnects a
# client that sends more): the packet type (1), topic length (2) and topic, packet id (2), and
# an MQTT 5 client's property length (1; the project's clients speak 3.1.1 and send none).
PUBLISH_OVERHEAD = 1 + 2 + MAX_TOPIC_BYTES + 2 + 1


def packet_limit() -> int:
    """The largest packet a client may send: the protocol's largest payload and its header.
    One limit serves everyone, so it is the hub's signed config that sets it."""
    return max(*MAX_BYTES.values(), MAX_SMALL_BYTES) + PUBLISH_OVERHEAD


@dataclass(frozen=True)
class BrokerLimits:
    """Limits set on purpose. Mosquitto drops QoS 1 messages silently past max_queued_messages;
    the hub's acks and the units' resends make that harmless, but it should be rare."""

    max_queued_messages: int = 20_000
    max_inflight_messages: int = 100
    max_packet_size: int = field(default_factory=packet_limit)
    max_keepalive: int = 300
    # -1: no cap of Mosquitto's own; the open-files limit (ulimit -n) is the real one
    max_connections: int = -1


@dataclass(frozen=True)
class TlsListener:
    """A TLS listener (docs/provisioning.md#tls). With ``require_certificate`` a client must
    show a certificate of the CA before it may even send CONNECT, and its password is checked
    as always: the certificate's name is not taken as the username (Mosquitto would then skip
    the password), so a unit needs both."""

    host: str
    port: int
    ca_file: Path
    cert_file: Path
    key_file: Path
    require_certificate: bool = False
    # the broker's own admin connection needs a certificate too when one is required
    admin_cert_file: Path | None = None
    admin_key_file: Path | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path, spec: listeners.TlsListenerSpec) -> TlsListener:
        """The listener provisioning wrote into a broker data directory (listeners.json)."""
        admin = spec.require_certificate
        return cls(
            host=spec.host,
            port=spec.port,
            ca_file=data_dir / listeners.CA_FILE,
            cert_file=data_dir / listeners.CERT_FILE,
            key_file=data_dir / listeners.KEY_FILE,
            require_certificate=spec.require_certificate,
            admin_cert_file=data_dir / listeners.ADMIN_CERT_FILE if admin else None,
            admin_key_file=data_dir / listeners.ADMIN_KEY_FILE if admin else None,
        )

    @property
    def local_host(self) -> str:
        """Where a process on this machine reaches the listener."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host

    def conf_lines(self) -> list[str]:
        return [
            f"listener {self.port} {self.host}",
            f"cafile {self.ca_file}",
            f"certfile {self.cert_file}",
            f"keyfile {self.key_file}",
            "tls_version tlsv1.2",  # the lowest accepted (Mosquitto 2.0: a minimum)
            f"require_certificate {'true' if self.require_certificate else 'false'}",
            "use_identity_as_username false",
        ]


@dataclass
class MosquittoConfig:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    # The county network's listener; ``plain`` False leaves the loopback listener above out.
    tls: TlsListener | None = None
    plain: bool = True
    credentials: Credentials | None = None  # None: anonymous (development only)
    limits: BrokerLimits = field(default_factory=BrokerLimits)
    persistence: bool = True
    dynsec_plugin: str | None = None  # None: look in the usual library directories
    # The dynamic-security admin's password lives only in this object (the file holds its
    # hash): whoever runs the broker can change it live (MosquittoProcess.reload), nobody else.
    admin_password: str = field(default_factory=new_password, repr=False)
    # The account the broker runs as (broker_user() when None): never root.
    run_as: str | None = None

    @property
    def user(self) -> str:
        return self.run_as or broker_user()

    @property
    def conf_path(self) -> Path:
        return self.data_dir / "mosquitto.conf"

    @property
    def dynsec_path(self) -> Path:
        return self.data_dir / "dynamic-security.json"

    @property
    def admin_url(self) -> BrokerUrl:
        """The plain loopback listener when there is one, else the TLS listener."""
        if self.plain or self.tls is None:
            host, port, tls = self.host, self.port, False
        else:
            host, port, tls = self.tls.local_host, self.tls.port, True
        return BrokerUrl(
            host, port, tls=tls, username=dynsec.ADMIN_USER, password=self.admin_password
        )

    @property
    def admin_tls(self) -> ClientTls | None:
        """The admin trusts the county CA and does not check the name: it connects to its own
        broker by a loopback address the certificate need not carry."""
        if self.plain or self.tls is None:
            return None
        t = self.tls
        return ClientTls(
            ca_file=str(t.ca_file),
            cert_file=str(t.admin_cert_file) if t.admin_cert_file else None,
            key_file=str(t.admin_key_file) if t.admin_key_file else None,
            check_hostname=False,
        )

    def first_listener(self) -> tuple[str, int]:
        """An address to wait on while the broker starts."""
        if self.plain or self.tls is None:
            return self.host, self.port
        return self.tls.local_host, self.tls.port

    def plugin_path(self) -> str:
        found = self.dynsec_plugin or next(
            (p for pattern in _PLUGIN_GLOBS for p in sorted(glob.glob(pattern))), None
        )
        if found is None or not Path(found).exists():
            raise BrokerError(
                "Mosquitto's dynamic-security plugin (mosquitto_dynamic_security.so, Mosquitto "
                "2.0 or later) was not found; without it units could use each other's client ids "
                "and the hub's share group. Install it, or run the embedded broker (--embedded)."
            )
        return found

    def conf_text(self) -> str:
        d = self.data_dir
        lim = self.limits
        lines = [
            "# generated by bianmin; edit the generator, not this file",
            "per_listener_settings false",
            # Mosquitto started as root switches to this account (broker_user: whoever started
            # it, or the package's "mosquitto" when that is root; write() hands it the files).
            f"user {self.user}",
            # max_connections belongs to the listener it follows: each listener gets it
            *(
                [f"listener {self.port} {self.host}", f"max_connections {lim.max_connections}"]
                if self.plain or self.tls is None
                else []
            ),
            *(
                [*self.tls.conf_lines(), f"max_connections {lim.max_connections}"]
                if self.tls is not None
                else []
            ),
            f"max_queued_messages {lim.max_queued_messages}",
            f"max_inflight_messages {lim.max_inflight_messages}",
            f"max_packet_size {lim.max_packet_size}",
            f"max_keepalive {lim.max_keepalive}",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "connection_messages false",
        ]
        if self.persistence:
            lines += ["persistence true", f"persistence_location {d}/", "autosave_interval 5"]
        else:
            lines += ["persistence false"]
        if self.credentials is None:
            lines += ["allow_anonymous true"]
        else:
            lines += [
                "allow_anonymous false",
                f"plugin {self.plugin_path()}",
                f"plugin_opt_config_file {self.dynsec_path}",
            ]
        return "\n".join(lines) + "\n"

    def write(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.credentials is not None:
            doc = dynsec.document(self.credentials, self.admin_password)
            _write_private(self.dynsec_path, json.dumps(doc, indent=1))
        # An earlier layout's password and ACL files: the broker no longer reads them, and
        # nobody should edit them thinking it does.
        for stale in ("passwd", "acl"):
            (self.data_dir / stale).unlink(missing_ok=True)
        # 0600 like every file here: the broker runs as the user that wrote them
        _write_private(self.conf_path, self.conf_text())
        _hand_over(self.data_dir, self.user)


BROKER_USER_ENV = "BIANMIN_BROKER_USER"


def broker_user() -> str:
    """The account Mosquitto runs as: $BIANMIN_BROKER_USER when set, else whoever runs this;
    started by root, the Debian package's ``mosquitto`` account, so a flaw in the broker
    (which parses every unit's packets) does not hand over the machine."""
    explicit = os.environ.get(BROKER_USER_ENV)
    if explicit:
        return explicit
    return "mosquitto" if os.geteuid() == 0 else getpass.getuser()


def tool_broker_user() -> str:
    """The account for a broker a developer tool starts for itself (the demo, the county day,
    the benchmarks): whoever runs the tool, unless $BIANMIN_BROKER_USER says otherwise. Such a
    broker lives in the tool's private temporary directory, which the package's ``mosquitto``
    account cannot enter; a county's broker (``provision apply``) drops root as broker_user()
    says."""
    return os.environ.get(BROKER_USER_ENV) or getpass.getuser()


def _hand_over(data_dir: Path, user: str) -> None:
    """Root writing a broker's files for another account: make them that account's (0600 and
    0700 stay), or Mosquitto, once it has dropped root, could not read or persist them."""
    if os.geteuid() != 0 or user == "root":
        return
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise BrokerError(
            f"the broker runs as {user!r}, which has no account here: create it, or set "
            f"{BROKER_USER_ENV}"
        ) from None
    for path in (data_dir, *data_dir.rglob("*")):
        os.lchown(path, account.pw_uid, account.pw_gid)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise BrokerError(f"nothing listens on {host}:{port} after {timeout}s") from None
            time.sleep(0.05)


class MosquittoProcess:
    """A Mosquitto child process. Start, stop, kill -9 and restart it (chaos tests do)."""

    def __init__(self, config: MosquittoConfig, binary: str | None = None) -> None:
        self.config = config
        found = binary or mosquitto_binary()
        if found is None:
            raise BrokerError("mosquitto is not installed (Debian: apt-get install mosquitto)")
        self.binary = found
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = config.data_dir / "mosquitto.log"
        self._applied: Credentials | None = None  # what the running broker was given

    @property
    def url(self) -> str:
        tls = self.config.tls
        if self.config.plain or tls is None:
            return f"mqtt://{self.config.host}:{self.config.port}"
        return f"mqtts://{tls.host}:{tls.port}"

    def start(self) -> None:
        self.config.write()
        creds = self.config.credentials
        self._applied = creds.model_copy(deep=True) if creds is not None else None
        log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        # 0600 as the rest of the directory; the child owns it for its whole life
        log = os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.config.conf_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        try:
            wait_for_port(*self.config.first_listener())
        except BrokerError:
            self.stop()
            log_text = self.log_path.read_text(errors="replace")
            raise BrokerError(f"mosquitto did not start; its log says:\n{log_text}") from None
        # The plugin loads before the listener opens, so its verdict is in the log by now.
        with open(self.log_path, "rb") as fh:
            fh.seek(log_start)
            started = fh.read().decode(errors="replace")
        if _PLUGIN_FAILED in started:
            self.stop()
            raise BrokerError(f"mosquitto would refuse everyone; its log says:\n{started}")

    def reload(self) -> None:
        """Apply changed credentials (``config.credentials``) to the running broker: new units
        may connect, removed ones are disconnected and refused, a changed password disconnects
        its holder until it logs in with the new one. Nobody else's connection drops."""
        creds = self.config.credentials
        if self.proc is None or creds is None or self._applied is None:
            return  # nothing running with credentials; start() writes the current ones
        commands = dynsec.changes(self._applied, creds)
        if commands:
            dynsec_control.send_blocking(self.config.admin_url, commands, tls=self.config.admin_tls)
        self._applied = creds.model_copy(deep=True)

    def kill(self) -> None:
        """kill -9: no clean shutdown, no final persistence save."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> MosquittoProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
