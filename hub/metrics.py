"""Prometheus `/metrics`: what the operator's monitoring scrapes. Counters the processes keep
(ingest, projector, alerts, rollout driver) are read at scrape time from the app's state;
fleet figures (units online, rollouts and cases by state, dead letters by reason, open alerts)
are counted in the database then; request latency is observed per route template, so the
label set stays bounded whatever paths clients ask for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.accounts.auth import Viewer
from hub.alerts.store import ALERTS
from hub.cases.project import PENDING, RECORDS
from hub.ingest.consumer import BATCH_BUCKETS
from hub.models import DeadLetter, Unit
from hub.rollouts.store import ROLLOUTS

UNITS = Unit.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
INGEST_COUNTERS = (
    ("messages", "MQTT messages taken from the broker"),
    ("events", "events in those messages"),
    ("inserted", "events stored for the first time"),
    ("duplicates", "events already stored (resent), acknowledged again"),
    ("dead_letters", "messages refused and dead-lettered"),
    ("refused", "messages the database refused at commit (dead-lettered)"),
    ("batches", "committed batches"),
    ("db_errors", "commits that failed with the database unavailable"),
)


class HubCollector(Collector):
    def __init__(self, app: Any) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        state = self.app.state
        consumer = state.consumer
        if consumer is not None:
            stats = consumer.snapshot()
            for name, doc in INGEST_COUNTERS:
                c = CounterMetricFamily(f"bianmin_ingest_{name}", doc)
                c.add_metric([], stats[name])
                yield c
            for name, doc in (
                ("queued", "messages received and waiting for the database (ingest lag)"),
                ("queued_bytes", "their bytes"),
                ("last_batch_ms", "how long the last batch took to commit"),
            ):
                g = GaugeMetricFamily(f"bianmin_ingest_{name}", doc)
                g.add_metric([], stats[name])
                yield g
            lag = GaugeMetricFamily(
                "bianmin_ingest_lag_seconds",
                "how long the oldest message waiting for the database has waited (0: none waits)",
            )
            lag.add_metric([], stats["lag_s"])
            yield lag
            connected = GaugeMetricFamily("bianmin_broker_connected", "1 while connected")
            connected.add_metric([], 1 if stats["connected"] else 0)
            yield connected
            yield _batch_histogram(stats)
        if state.projector is not None:
            c = CounterMetricFamily("bianmin_cases_projected", "cases recomputed")
            c.add_metric([], state.projector.stats.projected)
            yield c
        yield from self._database()

    def _database(self) -> Iterator[Any]:
        with self.app.state.engine.connect() as conn:
            online = GaugeMetricFamily("bianmin_units", "units known to the hub", labels=["online"])
            for flag, n in conn.execute(
                select(UNITS.c.online, func.count()).group_by(UNITS.c.online)
            ):
                online.add_metric(["true" if flag else "false"], n)
            yield online
            yield _grouped(conn, "bianmin_rollouts", "rollouts by state", ROLLOUTS.c.state, "state")
            yield _grouped(conn, "bianmin_cases", "cases by status", RECORDS.c.status, "status")
            yield _grouped(
                conn, "bianmin_dead_letters", "dead letters kept, by reason", DEAD.c.reason_code,
                "reason",
            )  # fmt: skip
            open_alerts = select(ALERTS.c.kind, func.count()).where(ALERTS.c.cleared_at.is_(None))
            alerts = GaugeMetricFamily("bianmin_alerts_open", "open alerts", labels=["kind"])
            for kind, n in conn.execute(open_alerts.group_by(ALERTS.c.kind)):
                alerts.add_metric([kind], n)
            yield alerts
            pending = conn.execute(select(func.count()).select_from(PENDING)).scalar_one()
            g = GaugeMetricFamily("bianmin_cases_pending", "cases waiting to be projected")
            g.add_metric([], pending)
            yield g


def _grouped(conn: Any, name: str, doc: str, column: Any, label: str) -> GaugeMetricFamily:
    g = GaugeMetricFamily(name, doc, labels=[label])
    for value, n in conn.execute(select(column, func.count()).group_by(column)):
        g.add_metric([str(value)], n)
    return g


def _batch_histogram(stats: dict[str, Any]) -> HistogramMetricFamily:
    counts, running = stats["batch_sizes"], 0
    buckets = []
    for bound, n in zip([*map(str, BATCH_BUCKETS), "+Inf"], counts, strict=True):
        running += n
        buckets.append((bound, running))
    h = HistogramMetricFamily("bianmin_ingest_batch_messages", "messages per committed batch")
    h.add_metric([], buckets, sum_value=stats["batch_messages_sum"])
    return h


class RequestTimer:
    """ASGI middleware observing each request's latency under its route template."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.histogram.labels(scope.get("method", "?"), template, str(status["code"])).observe(
                time.perf_counter() - started
            )


def install_metrics(app: Any) -> None:
    registry = CollectorRegistry()
    registry.register(HubCollector(app))
    latency = Histogram(
        "bianmin_http_request_seconds", "hub API and page latency",
        ["method", "route", "status"], registry=registry,
    )  # fmt: skip
    app.state.metrics_registry = registry
    app.add_middleware(RequestTimer, histogram=latency)
    app.include_router(router)


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(_: Viewer, request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )
