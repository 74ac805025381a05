"""The noon catalog change, made as the county's operators make it through the hub's API: one
operator starts a draft from the running catalog and shortens promised time limits (承诺时限再
压缩: every village matter promising two working days or more promises one day less); a second
operator approves it (nobody approves their own draft), which publishes the next version and
starts its staged rollout, canaries first. Each step is retried while the hub is down (chaos)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger("bianmin.simulators.county")
NOTE = "承诺时限再压缩：承诺2个工作日及以上的村级事项各减1个工作日"


def compressed(matter: dict[str, Any]) -> dict[str, Any] | None:
    """The matter with its promised limit one working day shorter; None if it stays."""
    if not matter.get("delegated") or matter.get("instant"):
        return None
    days = int(matter["promised_days"])
    return {**matter, "promised_days": days - 1} if days >= 2 else None


@dataclass
class CatalogChange:
    draft: int | None = None
    changed: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (before, after)
    saved: set[str] = field(default_factory=set)
    version: int | None = None
    rollout: int | None = None
    attempts: int = 0

    def row(self) -> dict[str, Any]:
        return {"note": NOTE, "draft": self.draft, "version": self.version,
                "rollout": self.rollout, "changed_matters": len(self.changed),
                "changed": {c: {"promised_days_before": a, "promised_days_after": b}
                            for c, (a, b) in sorted(self.changed.items())},
                "attempts": self.attempts}  # fmt: skip


class CatalogEditor:
    """``author`` and ``approver``: clients with two operators' tokens."""

    def __init__(self, author: httpx.AsyncClient, approver: httpx.AsyncClient) -> None:
        self.author = author
        self.approver = approver
        self.change = CatalogChange()
        self._matters: dict[str, dict[str, Any]] | None = None

    async def run(self, stop: asyncio.Event, retry_s: float = 0.5) -> CatalogChange | None:
        while not stop.is_set():
            self.change.attempts += 1
            try:
                if await self.step():
                    return self.change
            except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
                log.debug("catalog change: %s", exc)  # the hub is down: the same step again
            await asyncio.sleep(retry_s)
        return None

    async def step(self) -> bool:
        """One step further; True once the rollout has started."""
        c = self.change
        if c.draft is None:
            r = await self.author.post("/api/catalog/drafts/from-current")
            r.raise_for_status()
            c.draft = int(r.json()["id"])
        if self._matters is None:  # the running catalog: unchanged until the approval
            r = await self.author.get("/api/catalog/matters", params={"limit": 500})
            r.raise_for_status()
            self._matters = {m["code"]: m for m in r.json()["items"]}
            for code, m in self._matters.items():
                if (new := compressed(m)) is not None:
                    c.changed[code] = (int(m["promised_days"]), int(new["promised_days"]))
        for code in sorted(set(c.changed) - c.saved):
            new = compressed(self._matters[code])
            assert new is not None
            r = await self.author.put(
                f"/api/catalog/drafts/{c.draft}/matters/{code}", json={"matter": new}
            )
            r.raise_for_status()
            c.saved.add(code)
        if c.version is None:
            r = await self.approver.post(
                f"/api/catalog/drafts/{c.draft}/approve", json={"canary_count": 2}
            )
            if r.status_code == 409:  # approved before the hub went down: read the draft
                r = await self.approver.get(f"/api/catalog/drafts/{c.draft}")
            r.raise_for_status()
            draft = r.json()
            c.version, c.rollout = draft["published_version"], draft["rollout_id"]
        if c.rollout is None:
            # the first configuration's rollout still busy with some units: start it again
            r = await self.approver.post(
                f"/api/catalog/drafts/{c.draft}/rollout", json={"canary_count": 2}
            )
            if r.status_code >= 400:
                log.info("catalog rollout not started yet: %s", r.text[:200])
                return False
            c.rollout = r.json()["rollout_id"]
        return c.rollout is not None
