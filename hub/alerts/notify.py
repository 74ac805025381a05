"""Sending alerts out: always to the hub's log, and as JSON to a webhook when the county
configured one (its SMS or messaging gateway)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from hub.alerts.conditions import ALERT_LABELS, AlertKind

log = logging.getLogger("bianmin.hub.alerts")


def message(event: str, alert: Any) -> dict[str, Any]:
    kind = AlertKind(alert.kind)
    return {
        "event": event,  # raised, repeated, cleared
        "id": alert.id,
        "kind": kind.value,
        "label": ALERT_LABELS[kind],
        "subject": alert.subject,
        "started_at": alert.started_at.isoformat(),
        "notifications": int(alert.notifications) + (event != "cleared"),
        "detail": alert.detail or {},
    }


class Notifier:
    def __init__(self, webhook_url: str | None = None, timeout_s: float = 5.0) -> None:
        self.webhook_url = webhook_url
        self.timeout_s = timeout_s
        self.sent: int = 0
        self.failed: int = 0

    async def send(self, messages: list[dict[str, Any]]) -> None:
        for m in messages:
            log.warning(
                "alert %s: %s %s (%s) since %s", m["event"], m["label"], m["subject"], m["kind"],
                m["started_at"],
            )  # fmt: skip
        if not self.webhook_url or not messages:
            return
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            for m in messages:
                try:
                    resp = await client.post(self.webhook_url, json=m)
                    resp.raise_for_status()
                    self.sent += 1
                except httpx.HTTPError as exc:
                    # the next escalation step sends it again; the log has it meanwhile
                    self.failed += 1
                    log.error("alert webhook failed for alert %s: %s", m["id"], exc)
