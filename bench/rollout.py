"""Rollout benchmark: time from `POST /api/rollouts` until 99% of N units have reported the
new configuration applied (as the hub's API counts them), for N = 76, 1,000 and 10,000.

Everything is real: a Mosquitto process with per-unit credentials and ACLs, `bianmin hub
serve` as its own process (SQLite), and N config-only simulated units in this process, built
from the unit's own configuration code (signature check, artifact download with sha256,
atomic apply, report) and mqttio. Each unit downloads its village's catalog slice itself.

The peer, measured in the same run: the design the artifacts replace, with the catalog slice
inline in every signed retained message. Its publisher runs in this process and its
subscribers only verify the signature (they apply nothing), so it is a lower bound for that
design's cost.

Run: `.venv/bin/python bench/rollout.py [--sizes 76,1000,10000] [--peer-sizes 76,1000]`.
Prints figures as it goes; the last line is one JSON object; writes bench/results/rollout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import BIANMIN  # noqa: E402
from bench.machine import describe  # noqa: E402
from hub.catalog.loader import load_catalog  # noqa: E402
from hub.catalog.service import catalog_slice  # noqa: E402
from hub.catalog.villages import load_villages  # noqa: E402
from mqttio import AsyncMqttClient, BrokerUrl, Received  # noqa: E402
from protocol import topics  # noqa: E402
from protocol.canonical import canonical_json  # noqa: E402
from protocol.config import config_document, parse_raw  # noqa: E402
from protocol.seed import SEED_VILLAGES  # noqa: E402
from protocol.signing import (  # noqa: E402
    generate_key,
    sign_document,
    verify_document,
)
from protocol.topics import Channel  # noqa: E402
from provisioning import credentials  # noqa: E402
from provisioning.mosquitto import (  # noqa: E402
    BrokerLimits,
    MosquittoConfig,
    MosquittoProcess,
    free_port,
    tool_broker_user,
    wait_for_port,
)

TARGETS = {76: 2.0, 10_000: 60.0}
PACKAGES = ("paho-mqtt", "fastapi", "starlette", "uvicorn", "sqlalchemy", "sqlmodel",
            "pydantic", "cryptography", "httpx")  # fmt: skip


def unit_ids(n: int, workdir: Path) -> tuple[list[str], Path]:
    """N village units: the seed registry's, then synthetic villages modelled on them (same
    divisions and exclusions), written as a registry file for the hub."""
    seed = json.loads(SEED_VILLAGES.read_text(encoding="utf-8"))
    villages = seed["villages"]
    if n > len(villages):
        villages = [
            {**villages[i % len(villages)], "unit_id": f"v{i:05d}", "name": f"第{i}村"}
            for i in range(n)
        ]
    seed["villages"] = villages[:n]
    path = workdir / "villages.json"
    path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    load_villages(path)  # fail here, not in the hub, if the synthetic registry is wrong
    return [v["unit_id"] for v in seed["villages"]], path


def start_hub(
    workdir: Path, broker_port: int, hub_password: str, villages: Path
) -> tuple[Any, str, str]:
    database = f"sqlite:///{workdir / 'hub.sqlite3'}"
    token = json.loads(
        subprocess.run(
            [BIANMIN, "hub", "user", "add", "bench", "--role", "operator", "--database", database],
            capture_output=True, text=True, check=True,
        ).stdout
    )["token"]  # fmt: skip
    port = free_port()
    log = open(workdir / "hub.log", "wb")  # noqa: SIM115 - the child owns it
    proc = subprocess.Popen(
        [BIANMIN, "hub", "serve", "--database", database,
         "--broker", f"mqtt://127.0.0.1:{broker_port}", "--port", str(port),
         "--data-dir", str(workdir / "hub"), "--villages", str(villages)],
        env={**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": hub_password},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_for_port("127.0.0.1", port, timeout=60)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not httpx.get(f"{url}/healthz").json()["broker_connected"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the hub did not connect to the broker")
        time.sleep(0.1)
    return proc, url, token


def stop(proc: Any) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class Workers:
    """Simulated units split over worker processes (`python -m simulators.config_fleet`): at
    10,000 units one Python process spends its time in the units' HTTP client, not in the
    system under test, so the units get processes of their own, as real units have."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self, jobs: list[dict[str, Any]]) -> int:
        for job in jobs:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "simulators.config_fleet",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
                limit=64 << 20,
            )  # fmt: skip
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(job).encode() + b"\n")
            await proc.stdin.drain()
            self.procs.append(proc)
        connected = 0
        for proc in self.procs:
            assert proc.stdout is not None
            line = (await proc.stdout.readline()).decode().split()
            if not line or line[0] != "ready":
                raise RuntimeError(f"a unit worker failed to start: {line}")
            connected += int(line[1])
        return connected

    async def report(self) -> list[dict[str, Any]]:
        out = []
        for proc in self.procs:
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write(b"report\n")
            await proc.stdin.drain()
            out.append(json.loads(await proc.stdout.readline()))
        return out

    async def close(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.terminate()
            await proc.wait()


def _p99(values: list[float], need: int) -> float | None:
    return round(values[need - 1], 3) if len(values) >= need else None


async def measure(n: int, workdir: Path, timeout_s: float, procs: int) -> dict[str, Any]:
    units, villages = unit_ids(n, workdir)
    creds = credentials.generate(units)
    broker_port = free_port()
    mosquitto = MosquittoProcess(
        MosquittoConfig(
            data_dir=workdir / "broker", port=broker_port, credentials=creds,
            limits=BrokerLimits(max_queued_messages=100_000), persistence=False,
            run_as=tool_broker_user(),
        )
    )  # fmt: skip
    mosquitto.start()
    hub_proc = None
    workers = Workers()
    try:
        hub_proc, hub, token = await asyncio.to_thread(
            start_hub, workdir, broker_port, creds.hub_password, villages
        )
        async with httpx.AsyncClient(
            base_url=hub, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as api:
            key = (await api.get("/api/hub/public-key")).json()["public_key"]
            started = time.monotonic()
            connected = await workers.start(
                [
                    {"units": [[u, creds.password_for(u)] for u in units[i::procs]],
                     "broker_port": broker_port, "hub": hub, "key": key,
                     "root": str(workdir / "units"), "connect_timeout": max(60.0, n / 50)}
                    for i in range(procs)
                ]
            )  # fmt: skip
            connect_s = time.monotonic() - started
            print(f"  {connected}/{n} units connected in {connect_s:.1f} s "
                  f"({procs} unit processes)", flush=True)  # fmt: skip
            t0 = time.monotonic()
            resp = await api.post(
                "/api/rollouts",
                json={"target": {"all": True}, "failure_threshold": 1.0, "timeout_s": 3600,
                      "note": f"benchmark, {n} units"},
            )  # fmt: skip
            resp.raise_for_status()
            rollout = resp.json()
            created_s = time.monotonic() - t0
            need = math.ceil(0.99 * n)
            t99 = t100 = None
            status = rollout
            while time.monotonic() - t0 < timeout_s:
                status = (await api.get(f"/api/rollouts/{rollout['id']}")).json()
                applied = status["counts"]["applied"]
                if t99 is None and applied >= need:
                    t99 = time.monotonic() - t0
                if applied >= n:
                    t100 = time.monotonic() - t0
                    break
                await asyncio.sleep(0.05)
        reports = await workers.report()
        applied_at = sorted(t - t0 for r in reports for t in r["applied_at"])
        received_at = sorted(t - t0 for r in reports for t in r["received_at"])
        config_file = next((workdir / "units").glob("*/config/current.json"), None)
        return {
            "units": n,
            "p99_applied_s": round(t99, 3) if t99 is not None else None,
            "all_applied_s": round(t100, 3) if t100 is not None else None,
            "target_s": TARGETS.get(n),
            "applied": status["counts"]["applied"],
            "rejected": status["counts"]["rejected"],
            "create_request_s": round(created_s, 3),
            "received_p50_s": round(statistics.median(received_at), 3) if received_at else None,
            "received_p99_s": _p99(received_at, need),
            "unit_side_p50_s": round(statistics.median(applied_at), 3) if applied_at else None,
            "unit_side_p99_s": _p99(applied_at, need),
            "connect_s": round(connect_s, 1),
            "unit_processes": procs,
            "artifact_downloads": sum(r["downloads"] for r in reports),
            "artifact_mb_downloaded": round(sum(r["bytes"] for r in reports) / 1e6, 2),
            "signed_config_bytes": len(config_file.read_bytes()) if config_file else None,
        }
    finally:
        await workers.close()
        if hub_proc is not None:
            stop(hub_proc)
        mosquitto.stop()


async def inline_peer(n: int, workdir: Path, timeout_s: float) -> dict[str, Any]:
    """The peer design: the whole catalog slice inside each signed retained config. A hub-user
    client signs and publishes one document per unit; each unit verifies the signature."""
    units, villages = unit_ids(n, workdir)
    registry = load_villages(villages)
    catalog = load_catalog()
    creds = credentials.generate(units)
    port = free_port()
    mosquitto = MosquittoProcess(
        MosquittoConfig(data_dir=workdir / "broker", port=port, credentials=creds,
                        limits=BrokerLimits(max_queued_messages=100_000), persistence=False,
                        run_as=tool_broker_user())
    )  # fmt: skip
    mosquitto.start()
    key = generate_key()
    public = key.public_key()
    verified: dict[str, float] = {}
    failures: list[str] = []

    def subscriber(unit: str) -> AsyncMqttClient:
        def on_message(msg: Received) -> None:
            try:
                verify_document(parse_raw(msg.payload), public)
            except ValueError as exc:
                failures.append(f"{unit}: {exc}")
                return
            verified[unit] = time.monotonic()

        return AsyncMqttClient(
            BrokerUrl("127.0.0.1", port, username=unit, password=creds.password_for(unit)),
            client_id=topics.unit_client_id(unit),
            on_message=on_message,
            subscriptions=[(topics.topic(unit, Channel.CONFIG), 1)],
            keepalive=120,
        )

    clients = [subscriber(u) for u in units]
    hub = AsyncMqttClient(
        BrokerUrl("127.0.0.1", port, username="hub", password=creds.hub_password),
        client_id=topics.hub_client_id("bench", "rollout"),
        on_message=lambda _msg: None,
        max_inflight=1000,
    )
    tasks = [asyncio.create_task(c.run()) for c in [*clients, hub]]
    try:
        await asyncio.wait_for(
            asyncio.gather(*(c.wait_connected() for c in [*clients, hub])), max(60.0, n / 50)
        )
        slices = {}
        t0 = time.monotonic()
        sizes = []
        for i, unit in enumerate(units):
            exclusions = registry.village(unit).matters_excluded
            if exclusions not in slices:
                slices[exclusions] = catalog_slice(unit, catalog, registry).model_dump(mode="json")
            doc = config_document(
                unit=unit, version=1, issued_at="2026-01-01T00:00:00Z",
                body={"catalog": slices[exclusions]},
            )  # fmt: skip
            payload = canonical_json(sign_document(doc, key))
            sizes.append(len(payload))
            hub.publish(topics.topic(unit, Channel.CONFIG), payload, qos=1, retain=True)
            if i % 200 == 199:
                await asyncio.sleep(0)
        need = math.ceil(0.99 * n)
        t99 = None
        while time.monotonic() - t0 < timeout_s and t99 is None:
            if len(verified) >= need:
                t99 = sorted(verified.values())[need - 1] - t0
            await asyncio.sleep(0.05)
        return {
            "units": n,
            "p99_verified_s": round(t99, 3) if t99 is not None else None,
            "signed_config_bytes": round(statistics.mean(sizes)),
            "retained_mb": round(sum(sizes) / 1e6, 1),
            "failures": len(failures),
        }
    finally:
        for c in [*clients, hub]:
            await c.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        mosquitto.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="76,1000,10000")
    parser.add_argument(
        "--peer-sizes", default="76,1000", help="sizes for the inline-slice peer (~150 KB/unit)"
    )
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--unit-procs", type=int, default=2, help="processes for the simulated units (>100)"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "rollout.json"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    peer_sizes = [int(s) for s in args.peer_sizes.split(",") if s]
    info = describe(PACKAGES)
    print(f"machine: {info['cpu']}, {info['cores']} cores, load {info['load_avg_at_start']}")
    results, peers = [], []
    for n in sizes:
        print(f"rollout to {n} units (artifact pointers):", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"bench-rollout-{n}-") as tmp:
            procs = 1 if n <= 100 else args.unit_procs
            result = asyncio.run(measure(n, Path(tmp), args.timeout, procs))
        print(f"  p99 applied {result['p99_applied_s']} s, all {result['all_applied_s']} s, "
              f"{result['artifact_mb_downloaded']} MB of artifacts", flush=True)  # fmt: skip
        results.append(result)
    for n in peer_sizes:
        print(f"peer: inline catalog slice in every retained config, {n} units:", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"bench-peer-{n}-") as tmp:
            peer = asyncio.run(inline_peer(n, Path(tmp), args.timeout))
        print(f"  p99 verified {peer['p99_verified_s']} s, "
              f"{peer['retained_mb']} MB retained in the broker", flush=True)  # fmt: skip
        peers.append(peer)
    report = {"benchmark": "rollout", "machine": info, "results": results, "peer_inline": peers}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({"results": results, "peer_inline": peers}, ensure_ascii=False))


if __name__ == "__main__":
    main()
