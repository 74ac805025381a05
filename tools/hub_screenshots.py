"""Screenshots of every page the hub serves to people, for docs/hub/: `.venv/bin/python -m
tools.hub_screenshots [--out docs/hub] [--keep]`.

It starts a hub in this process on a free port (SQLite in a temporary directory, no broker),
seeds it with a realistic county day (units' heartbeats, two villages silent long enough to
raise 离线 alerts, cases taken at the windows through the real case workflow and ingest, a
rollout), signs in with headless Chromium (/usr/bin/chromium through playwright) and saves a
1366x768 PNG of each page in PAGES. A page the hub does not serve (yet) is skipped with a
note. Add a page: one line in PAGES.

A developer tool run from the repository (it borrows the tests' scripted cases).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"]  # fmt: skip
WIDTH, HEIGHT = 1366, 768
OPERATOR = "县运维"


@dataclass(frozen=True)
class Shot:
    name: str  # docs/hub/<name>.png
    path: str  # may name {unit}, {case}, {rollout}, {matter}: filled from the seeded data
    ready: str | None = None  # a CSS selector that shows the page has drawn what it loads


# the navigation (hub.web.pages.NAV) and its sub-pages, then the older pages
PAGES = (
    Shot("overview", "/"),
    Shot("fleet", "/fleet"),
    Shot("fleet-unit", "/fleet/{unit}"),
    Shot("cases", "/cases"),
    Shot("case", "/cases/{case}"),
    Shot("deficient", "/cases/deficient"),
    Shot("due", "/cases/due"),
    Shot("forwarded", "/cases/forwarded"),
    Shot("followups", "/cases/followups"),
    Shot("feedback", "/cases/feedback"),
    Shot("blacklist", "/cases/blacklist"),
    Shot("indicators", "/indicators"),
    Shot("catalog", "/catalog"),
    Shot("catalog-matter", "/catalog/matters/{matter}"),
    Shot("rollouts", "/rollouts"),
    Shot("rollout", "/rollouts/{rollout}"),
    Shot("alerts", "/alerts"),
    Shot("audit", "/audit"),
    Shot("account", "/account"),
    Shot("backoffice", "/backoffice"),
    Shot("dead-letters", "/dead-letters"),
    Shot("api-docs", "/docs", ready=".opblock"),
)


@dataclass
class Seeded:
    units: list[str]
    cases: list[str]
    rollout: int
    matter: str

    def fill(self, path: str) -> str:
        return path.format(
            unit=self.units[0], case=self.cases[0], rollout=self.rollout, matter=self.matter
        )


def _heartbeat(unit: str, at: datetime, *, paper: Literal["ok", "near_end", "out"] = "ok") -> Any:
    from mqttio import Received
    from protocol import topics
    from protocol.messages import DeviceStatus, Health, OutboxHealth
    from protocol.topics import Channel

    printer = DeviceStatus(present=True, ok=paper != "out", paper=paper)
    doc = Health(
        ts=at, uptime_s=3600, outbox=OutboxHealth(depth=0, bytes=0, limit_bytes=64 * 2**20),
        config_version=1, versions={"agent": "0.9.0"},
        devices={"printer": printer, "camera": DeviceStatus(present=True, ok=True)},
    )  # fmt: skip
    return Received(topics.topic(unit, Channel.HEALTH), doc.model_dump_json().encode(), 0, False)


def _state(unit: str, online: bool) -> Any:
    from mqttio import Received
    from protocol import topics
    from protocol.messages import State
    from protocol.topics import Channel

    payload = State(online=online).model_dump_json().encode()
    return Received(topics.topic(unit, Channel.STATE), payload, 1, True)


def seed(app: Any) -> Seeded:
    """A county morning: heartbeats, silent villages, cases at the windows, a rollout."""
    from sqlmodel import Session

    from hub.accounts.roles import Actor, Role
    from hub.cases.project import drain_pending
    from hub.catalog.versions import current_catalog
    from hub.fleet.units import register_units
    from hub.ingest.batch import commit_ingest_batch
    from hub.ingest.intake import take
    from hub.rollouts import store
    from hub.rollouts.models import RolloutCreate, Target
    from mqttio import Received
    from protocol import topics
    from protocol.catalog import Approval
    from protocol.topics import Channel
    from tests.support.cases import ScriptedCase, envelopes, tx_payload

    engine, registry = app.state.engine, app.state.registry
    villages = list(registry.villages)[:8]
    units = [v.unit_id for v in villages]
    with Session(engine) as s:
        register_units(s, units=[(v.unit_id, v.name, v.division) for v in villages])
    now, morning = datetime.now(UTC), datetime.now(UTC) - timedelta(hours=3)
    online = [_state(u, True) for u in units[:6]] + [_state(u, False) for u in units[6:]]
    commit_ingest_batch(engine, take(online, morning).batch)
    beats = [_heartbeat(u, now, paper="near_end" if i == 2 else "ok") for i, u in enumerate(units)]
    commit_ingest_batch(engine, take(beats[:6], now).batch)
    # two villages last heard from this morning: the hub's alert timer raises 离线 for them
    late = [_heartbeat(u, morning) for u in units[6:]]
    commit_ingest_batch(engine, take(late, morning).batch)
    cases: list[str] = []
    kinds = [(Approval.WINDOW, False), (Approval.TOWN, False), (Approval.WINDOW, True)]
    messages = []
    for i, unit in enumerate(units[:6]):
        script = []
        for j, (approval, defer) in enumerate(kinds):
            matter = _pick(app.state.catalogs.current, approval, defer, i)
            start = now - timedelta(days=j + i % 3, hours=2 + i)
            case = ScriptedCase(unit, matter, start=start, id_number=_id_number(i * 10 + j))
            steps = case.transitions(defer=defer, rating=[5, 5, 4, 5, 2, 5][i])
            script += steps
        evs = envelopes(unit, script)
        cases += sorted({str(e.body.case_id) for e in evs})[:1]
        messages.append(Received(topics.topic(unit, Channel.TX), tx_payload(evs), 1, False))
    # what a broken unit sends: kept as dead letters with their reasons
    messages.append(Received(topics.topic(units[3], Channel.TX), b"{truncated", 1, False))
    messages.append(
        Received(topics.topic(units[4], Channel.TX), b'{"v": 1, "events": [{"kind": 7}]}', 1, False)
    )
    intake = take(messages, now, drift_s=10**9)
    commit_ingest_batch(engine, intake.batch)
    while drain_pending(engine):
        pass
    with Session(engine) as s:
        catalog = current_catalog(s, app.state.catalogs)
        rollout = store.create_rollout(
            s,
            request=RolloutCreate(
                target=Target(units=units), canary=units[:2], note="事项清单更新"
            ),
            actor=Actor(OPERATOR, Role.OPERATOR),
            catalog=catalog,
            registry=registry,
        )
    first = _pick(app.state.catalogs.current, Approval.WINDOW, False, 0)
    return Seeded(units=units, cases=cases, rollout=rollout.id, matter=first.code)


def _pick(catalog: Any, approval: Any, deferrable: bool, n: int) -> Any:
    """The n-th (cycling) delegated matter approved at ``approval`` that is not instant; with
    ``deferrable``, one with a material that may be owed (容缺)."""
    fits = [
        m for m in catalog.matters
        if m.approval is approval and not m.instant
        and (not deferrable or any(x.deferrable for x in m.materials))
    ]  # fmt: skip
    return fits[n % len(fits)]


def _id_number(n: int) -> str:
    from protocol import identity

    body = f"34112219{80 + n % 20:02d}0{1 + n % 9}1{n % 10}{100 + n:03d}"[:17]
    return body + identity.check_digit(body)


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on a free loopback port in a thread (its lifespan runs: timers, alerts)."""
    import uvicorn

    from provisioning.mosquitto import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hub did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def shoot(base: str, app: Any, seeded: Seeded, out: Path) -> list[str]:
    from playwright.sync_api import sync_playwright

    from tests.support.signin import make_account, sign_in_page

    notes = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        page.goto(f"{base}/login", wait_until="networkidle")
        page.screenshot(path=str(out / "login.png"))
        # an operator of the county, signed in through the page as a person is
        password = make_account(app.state.engine, "ops", "operator")
        sign_in_page(page, base, "ops", password)
        for shot in PAGES:
            url = base + seeded.fill(shot.path)
            answer = page.goto(url, wait_until="networkidle")
            status = answer.status if answer is not None else 0
            if status != 200:
                notes.append(f"skipped {shot.name} ({shot.path}): the hub answered {status}")
                continue
            if shot.ready is not None:
                try:
                    page.wait_for_selector(shot.ready, timeout=15_000)
                except Exception:
                    notes.append(f"{shot.name}: {shot.ready} did not appear within 15 s")
            page.wait_for_timeout(300)  # charts animate in
            page.screenshot(path=str(out / f"{shot.name}.png"))
            notes.append(f"saved {out / shot.name}.png")
        browser.close()
    return notes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("docs/hub"), help="where the PNGs go")
    p.add_argument("--keep", action="store_true", help="keep the temporary hub's directory")
    args = p.parse_args()

    from hub.app import create_app
    from hub.settings import HubSettings

    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hub-shots-"))
    settings = HubSettings(
        database_url=f"sqlite:///{tmp / 'hub.sqlite3'}", broker_url=None, data_dir=tmp,
        alert_tick_s=0.5, alert_offline_after_s=3600,
    )  # fmt: skip
    app = create_app(settings)
    seeded = seed(app)
    with serving(app) as base:
        time.sleep(1.5)  # a pass of the alert timer
        for note in shoot(base, app, seeded, args.out):
            print(note)
    print(json.dumps({"hub": str(tmp) if args.keep else None, "out": str(args.out)}))
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
