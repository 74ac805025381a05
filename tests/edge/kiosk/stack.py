"""A whole window for browser tests: Mosquitto, a hub process (`hub serve`, SQLite), the unit
process (`edge run --simulated-devices --kiosk-port`) printing to a virtual printer in this
process, its simulated camera fed with real photos, an MQTT capture of everything the hub
user can see, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hub.window.idkey import create_id_key
from protocol import identity
from provisioning.mosquitto import free_port, wait_for_port
from simulators.printer import VirtualPrinter
from tests.conftest import Broker
from tests.support.processes import BIANMIN, stop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
UNIT = "dongjie-cun"  # a village of the seed registry, so rollouts reach it


def id_number(first17: str) -> str:
    return first17 + identity.check_digit(first17)


# the stack's hub's reference key, written before it starts: the window asks that hub for
# references (blinded), and the tests compute what it answers
HUB_ID_KEY = bytes(range(100, 132))


def ref(number: str) -> str:
    return identity.reference(number, HUB_ID_KEY)


def run(*args: str) -> str:
    done = subprocess.run([BIANMIN, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Capture:
    """Every MQTT message published on the broker (a subscriber on ``#``), as (topic, payload)."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: object = None

    def start(self, broker: Broker) -> None:
        """Subscribe to ``#`` as an observer the broker's admin creates for the test: every
        message any client publishes, not only what the hub's account may read."""
        import paho.mqtt.client as mqtt

        from provisioning import dynsec_control

        password = secrets.token_urlsafe(18)
        name = f"test.observer.{secrets.token_hex(4)}"  # the session's broker may have others
        everything = [
            {"acltype": t, "topic": "#", "priority": 0, "allow": True}
            for t in ("subscribePattern", "publishClientReceive")
        ]
        dynsec_control.send_blocking(
            broker.process.config.admin_url,
            [
                {"command": "createRole", "rolename": name, "acls": everything},
                {"command": "createClient", "username": name, "password": password,
                 "roles": [{"rolename": name}]},
            ],
        )  # fmt: skip
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-capture")  # type: ignore[attr-defined]
        client.username_pw_set(name, password)
        ready = threading.Event()

        def on_connect(c, _u, _f, rc, _p):
            c.subscribe("#", qos=1)
            ready.set()

        def on_message(_c, _u, msg):
            with self.lock:
                self.messages.append((msg.topic, bytes(msg.payload)))

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect(broker.url.host, broker.url.port)
        client.loop_start()
        assert ready.wait(10), "capture client did not connect"
        self.client = client

    def stop(self) -> None:
        if self.client is not None:
            self.client.loop_stop()  # type: ignore[attr-defined]
            self.client.disconnect()  # type: ignore[attr-defined]

    def all(self) -> list[tuple[str, bytes]]:
        with self.lock:
            return list(self.messages)


@dataclass
class Stack:
    root: Path
    broker: Broker
    hub_url: str
    database_url: str
    kiosk_url: str
    printer: VirtualPrinter
    camera_file: Path
    capture: Capture
    procs: list[subprocess.Popen[bytes]]
    log: object = None
    # the village's roster as `bianmin hub clerks add` made it: role -> {"id", "name", "pin"}
    clerks: dict[str, dict[str, str]] = field(default_factory=dict)
    operator_token: str = ""  # `hub user add ops --role operator`

    def show(self, photo: Path) -> None:
        """Put a photo in front of the simulated camera (it re-reads the file every frame)."""
        tmp = self.camera_file.with_suffix(".tmp.jpg")
        shutil.copyfile(photo, tmp)
        os.replace(tmp, self.camera_file)

    def events(self, case_ref: str | None = None) -> list[dict[str, object]]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT seq, state, matter_code, body FROM event WHERE unit = :u ORDER BY seq"
                ),
                {"u": UNIT},
            ).all()
        engine.dispose()
        out = []
        for seq, state, matter, body in rows:
            doc = json.loads(body) if isinstance(body, str) else body
            out.append({"seq": seq, "state": state, "matter": matter, "body": doc})
        if case_ref is None:
            return out
        case_ids = {
            e["body"]["case_id"] for e in out if e["body"]["data"].get("case_ref") == case_ref
        }
        return [e for e in out if e["body"]["case_id"] in case_ids]

    def close(self) -> None:
        for p in reversed(self.procs):
            stop(p)
        self.capture.stop()
        self.printer.stop()
        if self.log is not None:
            self.log.close()  # type: ignore[attr-defined]

    def log_tail(self) -> str:
        return (self.root / "processes.log").read_text(errors="replace")[-4000:]


def start_stack(
    root: Path,
    broker: Broker,
    photo: Path,
    *,
    registry: dict[str, list[str]],
    blacklisted: list[str],
) -> Stack:
    database_url = f"sqlite:///{root / 'hub.sqlite3'}"
    token = json.loads(
        run("hub", "user", "add", "ops", "--role", "operator", "--database", database_url)
    )["token"]
    unit_token = json.loads(run("hub", "unit-token", UNIT, "--database", database_url))["token"]
    for applicant, materials in registry.items():
        args = [x for m in materials for x in ("--material", m)]
        run("hub", "registry", "add", applicant, *args, "--database", database_url)
    for applicant in blacklisted:
        run(
            "hub",
            "blacklist",
            "add",
            applicant,
            "--reason",
            "提供虚假材料",
            "--database",
            database_url,
        )
    clerks = {}
    for role, name in (("clerk", "王芳"), ("agent", "李强")):
        added = json.loads(
            run("hub", "clerks", "add", UNIT, "--name", name, "--role", role,
                "--database", database_url)
        )  # fmt: skip
        clerks[role] = {"id": added["id"], "name": name, "pin": added["pin"]}
    capture = Capture()
    capture.start(broker)
    procs: list[subprocess.Popen[bytes]] = []
    port, kiosk_port = free_port(), free_port()
    hub_url = f"http://127.0.0.1:{port}"
    log = open(root / "processes.log", "ab")  # noqa: SIM115 - lives as long as the processes
    create_id_key(root / "hub" / "hub_id_key.hex", HUB_ID_KEY)
    procs.append(subprocess.Popen(
        [BIANMIN, "hub", "serve", "--database", database_url, "--port", str(port),
         "--broker", str(broker.url), "--data-dir", str(root / "hub")],
        env={**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": broker.creds.hub_password},
        stdout=log, stderr=log,
    ))  # fmt: skip
    wait_for_port("127.0.0.1", port, timeout=30)
    key = run("hub", "pubkey", "--key-file", str(root / "hub" / "hub_signing_key.pem")).strip()
    printer = VirtualPrinter(dots=576, out_dir=root / "slips").start()
    camera_file = root / "camera" / "frame.jpg"
    camera_file.parent.mkdir(parents=True)
    shutil.copyfile(photo, camera_file)
    procs.append(subprocess.Popen(
        [BIANMIN, "edge", "run", "--unit", UNIT, "--broker", str(broker.url),
         "--data-dir", str(root / UNIT), "--simulated-devices", "--rate", "0",
         "--hub-url", hub_url, "--hub-key", key, "--kiosk-port", str(kiosk_port),
         "--printer", f"tcp:127.0.0.1:{printer.port}", "--camera", str(camera_file),
         "--health-interval", "1", "--window-name", "清水镇东街村便民服务站"],
        env={**os.environ, "BIANMIN_UNIT_PASSWORD": broker.creds.password_for(UNIT),
             "BIANMIN_HUB_TOKEN": unit_token},
        stdout=log, stderr=log,
    ))  # fmt: skip
    created = httpx.post(
        f"{hub_url}/api/rollouts",
        json={"target": {"units": [UNIT]}, "note": "window test"},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    try:
        wait_for_port("127.0.0.1", kiosk_port, timeout=60)
    except Exception:
        log.close()
        raise AssertionError((root / "processes.log").read_text(errors="replace")[-4000:]) from None
    return Stack(
        root, broker, hub_url, database_url, f"http://127.0.0.1:{kiosk_port}/", printer,
        camera_file, capture, procs, log, clerks, token,
    )  # fmt: skip
