"""The operator's dashboard: server-rendered pages over the same persistence functions."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hub.accounts.auth import Auditor
from hub.deps import SessionDep, SettingsDep
from hub.fleet.events import recent_dead_letters, totals
from hub.fleet.units import list_units
from hub.ingest.deadletter import PREFIX_BYTES
from hub.rollouts import store as rollouts


def _templates() -> Jinja2Templates:
    from importlib import resources

    path = resources.files("hub") / "templates"
    return Jinja2Templates(directory=str(path))


router = APIRouter()
templates = _templates()


def _ago(when: datetime | None) -> str:
    if when is None:
        return "—"
    seconds = int((datetime.now(UTC) - when).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} 秒前"
    if seconds < 3600:
        return f"{seconds // 60} 分钟前"
    if seconds < 86400:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"


def _clock(offset: float | None) -> str:
    """A unit's clock against the hub's, in words: 快 3 天, 慢 5 分钟."""
    if offset is None:
        return "—"
    seconds = abs(offset)
    ahead = "快" if offset > 0 else "慢"
    if seconds < 60:
        return f"{ahead} {seconds:.0f} 秒"
    if seconds < 3600:
        return f"{ahead} {seconds / 60:.0f} 分钟"
    if seconds < 86400:
        return f"{ahead} {seconds / 3600:.1f} 小时"
    return f"{ahead} {seconds / 86400:.1f} 天"


templates.env.filters["ago"] = _ago
templates.env.filters["clock"] = _clock


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    units = list_units(session, stale_after_s=settings.stale_after_s)
    configs = {c.unit: c for c in rollouts.unit_configs(session)}
    consumer = getattr(request.app.state, "consumer", None)
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "units": units,
            "totals": totals(session),
            # a Pi has no real-time clock: these units' times are kept, but flagged
            "drifting": sum(u.clock_drift for u in units),
            "ingest": consumer.snapshot() if consumer is not None else None,
            "now": datetime.now(UTC),
            "rollouts": rollouts.list_rollouts(session, limit=5),
            "configs": configs,
            # units claiming a config version the hub never issued them
            "anomalies": sum(c.anomaly for c in configs.values()),
        },
    )


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters(
    request: Request, _: Auditor, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """Refused messages, for auditors only: a payload's prefix may hold personal data."""
    return templates.TemplateResponse(
        request,
        "dead_letters.html",
        {
            "letters": recent_dead_letters(session, limit=200),
            "prefix_bytes": PREFIX_BYTES,
            "retention_days": f"{settings.dead_letter_retention_days:g}",
            "quota_mib": f"{settings.dead_letter_quota_bytes / 2**20:g}",
        },
    )
