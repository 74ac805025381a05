"""The fleet pages: every window of the account's area by town (/fleet), one window
(/fleet/{unit}), and the refused messages for auditors (/dead-letters). Chinese, on the
shared layout; a unit outside the area is not found."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from hub.accounts.area import units_in
from hub.accounts.auth import Auditor, Viewer
from hub.alerts.conditions import ALERT_LABELS
from hub.alerts.query import AlertFilter, list_alerts
from hub.commands import outbox as command_outbox
from hub.deps import RegistryDep, SessionDep, SettingsDep, hub_now
from hub.errors import UnitNotFound
from hub.fleet import board, events
from hub.fleet.view import STATUS_LABELS, clock_words, duration_words, town_counts
from hub.ingest.deadletter import PREFIX_BYTES
from hub.rollouts.words import ROLLOUT_STATES, UNIT_STATES, reason_words
from hub.web import fmt
from hub.web.pager import LimitQuery, OffsetQuery, Pager, filters
from hub.web.pages import page
from protocol.labels import DEVICE_LABELS, PAPER_LABELS

router = APIRouter()

StatusQuery = Annotated[str | None, Query(pattern="^(online|stale|offline|never|problem)$")]
TownQuery = Annotated[str | None, Query(max_length=64)]


def words(now: datetime) -> dict[str, Any]:
    """The helpers the fleet, alert and rollout templates share."""
    return {
        "ago": lambda when: fmt.ago(when, now),
        "clock": clock_words,
        "duration": duration_words,
        "since": lambda when: duration_words((now - when).total_seconds()) if when else "—",
        "reason": reason_words,
        "unit_states": UNIT_STATES,
        "rollout_states": ROLLOUT_STATES,
        "alert_labels": {k.value: v for k, v in ALERT_LABELS.items()},
    }


@router.get("/fleet", response_class=HTMLResponse)
def fleet_page(
    request: Request,
    actor: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    town: TownQuery = None,
    status: StatusQuery = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    now = hub_now(request.app)
    rows = board.area_fleet(
        session,
        registry,
        area_units=units_in(actor.area, registry),
        now=now,
        stale_after_s=settings.stale_after_s,
    )
    towns = town_counts(rows)
    chosen = [r for r in rows if (not town or r.town == town) and r.matches(status)]
    pager = Pager("/fleet", len(chosen), limit, offset, filters(town=town, status=status))
    return page(
        request,
        "fleet.html",
        {
            **words(now),
            "area": actor.area.label(registry),
            "towns": towns,
            "rows": chosen[offset : offset + limit],
            "pager": pager,
            "town": town or "",
            "status": status or "",
            "status_labels": STATUS_LABELS,
        },
        nav="/fleet",
    )


# the unit page's words for a command's state (hub.commands.tables.CommandState)
COMMAND_STATES = {
    "pending": "待发送", "sent": "已发送，待回复", "ok": "已完成", "failed": "失败",
    "expired": "已过期",
}  # fmt: skip


@router.get("/fleet/{unit_id}", response_class=HTMLResponse)
def unit_page(
    unit_id: Annotated[str, Path(max_length=64)],
    request: Request,
    actor: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    now = hub_now(request.app)
    area_units = units_in(actor.area, registry)
    try:
        row = board.one_unit(
            session, registry, unit_id, area_units=area_units, now=now,
            stale_after_s=settings.stale_after_s,
        )  # fmt: skip
    except UnitNotFound:
        return page(
            request, "fleet_missing.html", {"unit_id": unit_id}, nav="/fleet", status_code=404
        )
    total, lines = board.unit_events(session, unit_id, limit=limit, offset=offset)
    with request.app.state.engine.connect() as conn:
        alerts = list_alerts(conn, AlertFilter(unit=unit_id).where(), limit=100, offset=0)
        commands = command_outbox.for_unit(conn, unit_id, limit=10)
    return page(
        request,
        "unit.html",
        {
            **words(now),
            "u": row,
            "alerts": alerts,
            "events": lines,
            "pager": Pager(f"/fleet/{unit_id}", total, limit, offset),
            "history": board.config_history(session, unit_id),
            "commands": commands,
            "command_states": COMMAND_STATES,
            "device_labels": DEVICE_LABELS,
            "paper_labels": PAPER_LABELS,
            "stale_after": duration_words(settings.stale_after_s),
        },
        nav="/fleet",
    )


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters_page(
    request: Request,
    actor: Auditor,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    """Refused messages, for auditors only: a payload's prefix may hold personal data."""
    area_units = units_in(actor.area, registry)
    total = events.totals(session, units=area_units)["dead_letters"]
    letters = events.recent_dead_letters(session, limit=limit, offset=offset, units=area_units)
    return page(
        request,
        "dead_letters.html",
        {
            "letters": letters,
            "pager": Pager("/dead-letters", total, limit, offset),
            "prefix_bytes": PREFIX_BYTES,
            "retention_days": f"{settings.dead_letter_retention_days:g}",
            "quota_mib": f"{settings.dead_letter_quota_bytes / 2**20:g}",
        },
        nav="/",
    )
