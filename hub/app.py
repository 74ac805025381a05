"""The hub's FastAPI application. Nothing is built at import time: call create_app(settings)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from fastapi import Depends, FastAPI

from hub import apidocs, openapi_doc, overview
from hub.accounts import api as accounts_api
from hub.accounts import login as accounts_login
from hub.accounts import manage as accounts_manage
from hub.accounts import pages as accounts_pages
from hub.accounts.auth import require
from hub.accounts.defaults import refuse_default_passwords
from hub.accounts.roles import Role
from hub.alerts import api as alerts_api
from hub.alerts import pages as alert_pages
from hub.alerts.watcher import alert_watcher
from hub.artifacts import api as artifacts_api
from hub.artifacts import serving as artifact_serving
from hub.artifacts.serving import ArtifactCache
from hub.backoffice import api as backoffice_api
from hub.backoffice import pages as backoffice_pages
from hub.body_limit import BodyLimitMiddleware
from hub.calendar import api as calendar_api
from hub.casepage import page as case_page
from hub.cases import api as cases_api
from hub.cases import supply_api
from hub.cases.pages import router as case_pages
from hub.cases.projector import CaseProjector
from hub.cases.timers import CaseTimers
from hub.catalog import api as catalog_api
from hub.catalog import edit_api as catalog_edit_api
from hub.catalog import pages as catalog_pages
from hub.catalog.store import CatalogStore
from hub.catalog.villages import load_villages
from hub.commands import api as commands_api
from hub.db import create_tables, make_engine
from hub.deps import hub_now
from hub.errors import SettingsProblem
from hub.feedback import api as feedback_api
from hub.fleet import api as fleet_api
from hub.fleet import pages as fleet_pages
from hub.fleet.retention import dead_letter_sweeper
from hub.followups import api as followups_api
from hub.handlers import install_handlers
from hub.indicators import api as indicators_api
from hub.indicators import page as indicators_page
from hub.ingest.consumer import IngestConsumer
from hub.keys import load_signing_key
from hub.limits import hub_body_limits
from hub.logs import RequestLog
from hub.metrics import install_metrics
from hub.notices.sender import notice_sender
from hub.residents import api as residents_api
from hub.rollouts import api as rollouts_api
from hub.rollouts import pages as rollout_pages
from hub.rollouts.driver import RolloutDriver
from hub.settings import HubSettings
from hub.signing import api as signing_api
from hub.signing.store import HubKeys
from hub.trusted_host import TrustedHostMiddleware
from hub.web import static as web_static
from hub.web import vendor as web_vendor
from hub.window import api as window_api
from hub.window import clerk_api, proposals_api, references_api
from lifecycle import version

log = logging.getLogger("bianmin.hub")


def refuse_any_host(settings: HubSettings) -> None:
    """A production hub answers its own names only (hub.trusted_host): without them it would
    answer a page that re-points its DNS name at the hub. ``*`` is the operator's explicit,
    unsafe choice."""
    if not settings.local and settings.allowed_hosts is None:
        raise SettingsProblem(
            "a production hub needs the host names it answers to: set allowed_hosts "
            """(BIANMIN_HUB_ALLOWED_HOSTS='["hub.county.local"]', or `hub serve --allowed-host """
            "hub.county.local`, repeated for each name; '*.county.local' admits a domain). "
            "'*' answers any name and is unsafe (DNS rebinding): give it only on purpose"
        )


def create_app(settings: HubSettings) -> FastAPI:
    refuse_any_host(settings)
    engine = make_engine(settings.database_url)
    try:
        create_tables(engine)  # only upgrades that are safe at start (hub.migrations.safety)
    except BaseException:
        engine.dispose()
        raise
    signing_key = load_signing_key(settings)  # refuses to start without a usable key
    # the ring over it: which key signs configs and commands now (hub/signing/)
    keys = HubKeys(signing_key, settings.signing_key_path, strict=not settings.local)
    if not settings.local:
        try:
            refuse_default_passwords(engine)
        except SettingsProblem:
            engine.dispose()
            raise

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        projector = app.state.projector = CaseProjector(
            engine, followup_days=settings.followup_days
        )
        tasks.append(asyncio.create_task(projector.run(), name="cases"))
        watcher = app.state.alerts = alert_watcher(settings, engine, clock=clock)
        tasks.append(asyncio.create_task(watcher.run(), name="alerts"))
        urls = settings.brokers()
        if urls:
            consumer = IngestConsumer(settings, engine, urls)
            consumer.on_commit.append(projector.wake)
            app.state.consumer = consumer
            tasks.append(asyncio.create_task(consumer.run(), name="ingest"))
            sweeper = dead_letter_sweeper(settings, engine, consumer)
            tasks.append(asyncio.create_task(sweeper.run(), name="dead-letters"))
            notices = app.state.notices = notice_sender(settings, engine, consumer)
            tasks.append(asyncio.create_task(notices.run(), name="notices"))
            if settings.drive_rollouts:
                driver = RolloutDriver(
                    engine,
                    keys,
                    consumer.client,
                    tick_s=settings.rollout_tick_s,
                    republish_after_s=settings.republish_after_s,
                )
                consumer.on_reports.append(lambda _unit, _report: driver.wake())
                app.state.driver = driver
                tasks.append(asyncio.create_task(driver.run(), name="rollouts"))
                # 容缺 lapses and withdrawals, blacklist delivery: where rollouts are driven
                timers = app.state.timers = CaseTimers(
                    engine, settings, app.state.catalogs, clock=clock, on_rollout=driver.wake
                )
                tasks.append(asyncio.create_task(timers.run(), name="case-timers"))
        try:
            yield
        finally:
            if app.state.consumer is not None:
                await app.state.consumer.stop()
            # loops whose passes run in threads finish the pass rather than orphan it
            for loop in (projector, watcher, app.state.notices):
                if loop is not None:
                    loop.stop()
            finishing = [t for t in tasks if t.get_name() in ("cases", "alerts", "notices")]
            await asyncio.wait(finishing, timeout=10)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            engine.dispose()

    def clock() -> datetime:
        return hub_now(app)

    # /docs and /openapi.json are hub.apidocs' routes: self-hosted, and behind a viewer
    app = FastAPI(
        title="bianmin hub", version=version(), lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url=None,
    )  # fmt: skip
    app.state.settings = settings
    app.state.engine = engine
    app.state.consumer = None
    app.state.driver = None
    app.state.projector = None
    app.state.notices = None  # a NoticeSender where this process ingests
    app.state.timers = None
    app.state.alerts = None
    app.state.signing_key = signing_key  # the first key: page secrets derive from it
    app.state.keys = keys  # what configs and commands are signed with (the ring's current)
    app.state.catalogs = CatalogStore.from_file(settings.catalog_file)
    app.state.registry = load_villages(settings.villages_file)
    app.state.artifact_cache = ArtifactCache(settings.artifact_dir)
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    install_handlers(app)
    # outermost of ours: a body over its route's limit is refused before routing, parsing or
    # authentication spend anything on it
    app.add_middleware(BodyLimitMiddleware, limit=hub_body_limits(settings))
    install_metrics(app)
    # a request for a host name the hub does not serve (DNS rebinding) goes no further
    app.add_middleware(TrustedHostMiddleware, hosts=settings.trusted_hosts)
    if "*" in settings.trusted_hosts and not settings.local:
        log.warning("allowed_hosts admits any host name ('*'): unsafe, list the hub's names")
    # outermost: every answer, a refused body's too, carries a request id and is logged once
    app.add_middleware(RequestLog)
    viewer = [Depends(require(Role.VIEWER))]
    app.include_router(fleet_api.router, dependencies=viewer)
    # the county's pages: overview, fleet, alerts, rollouts (each route checks its role)
    app.include_router(overview.router)
    app.include_router(fleet_pages.router)
    app.include_router(alert_pages.router)
    app.include_router(rollout_pages.router)
    app.include_router(catalog_api.router)
    app.include_router(catalog_edit_api.router)
    app.include_router(catalog_pages.router)
    app.include_router(calendar_api.router)
    app.include_router(artifacts_api.router)
    app.include_router(accounts_api.router)
    app.include_router(accounts_login.router)  # /login, /logout: public
    app.include_router(accounts_manage.router)
    app.include_router(accounts_pages.router)
    app.include_router(artifact_serving.router)
    app.include_router(rollouts_api.router)
    app.include_router(window_api.router)
    app.include_router(references_api.router)
    app.include_router(clerk_api.router)
    app.include_router(cases_api.router)
    app.include_router(backoffice_api.router)
    app.include_router(backoffice_pages.router)
    app.include_router(supply_api.router)
    app.include_router(followups_api.router)
    app.include_router(feedback_api.router)
    app.include_router(proposals_api.router)
    # public: the page a slip's QR leads to (no login; hub.casepage)
    app.include_router(case_page.router)
    app.include_router(alerts_api.router)
    app.include_router(commands_api.router)
    app.include_router(residents_api.router)
    app.include_router(apidocs.router)
    openapi_doc.install(app)  # the hub's errors, security and tags in the document
    app.include_router(web_static.router)  # the pages' stylesheet and script: public
    app.include_router(case_pages)  # /cases and its work lists (hub.cases.pages)
    app.include_router(web_vendor.router)  # front-end libraries from npm (ECharts): public
    app.include_router(indicators_api.router)
    app.include_router(indicators_page.router)
    app.include_router(signing_api.router)  # the signing-key ring: county operators

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        consumer = app.state.consumer
        return {"ok": True, "broker_connected": bool(consumer and consumer.connected)}

    return app
