"""The county's offices, simulated through the hub's own API (a Bearer token, as automation
reaches it): the back office receives the cases villages forward (受理) and completes them
(办结) some simulated hours later, and the follow-up owners take each bad rating through
核实, 整改, 回访 and 办结, one step every 20-60 simulated minutes. Both keep working after the
windows close, until 20:00 (EVENING_S): a follow-up opened before 15:30 is closed that
evening. Every step carries an id derived from the case, so a step retried after the hub was
killed is recorded once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from dataclasses import dataclass, field

import httpx

from simulators.county.clock import DAY_S, DayClock

log = logging.getLogger("bianmin.simulators.county")
STEPS = uuid.UUID("2d0f1f0a-6a57-4f4e-9c55-6d1c1c3b6a01")
RECEIVE_AFTER_S = (600.0, 2400.0)  # simulated seconds from forwarding to 受理
COMPLETE_AFTER_S = (3600.0, 4 * 3600.0)  # from 受理 to 办结
FOLLOWUP_STEP_S = (1200.0, 3600.0)  # between a follow-up's steps
EVENING_S = DAY_S + 2.5 * 3600.0  # 20:00: the offices stop
POLL_SIM_S = 270.0  # the offices look at their lists at least every 4.5 simulated minutes
# four steps of at most an hour each, and half an hour for the lists to show each step (the
# polls; the hub projecting the rating): a follow-up opened by 15:30 is closed by 20:00
FOLLOWUPS_CLOSE_IF_OPENED_BEFORE_S = EVENING_S - 4 * FOLLOWUP_STEP_S[1] - 1800.0
FOLLOWUP_NOTES = {
    "verify": "已调取窗口记录并联系申请人，情况属实",
    "rectify": "已对窗口工作人员进行提醒，并优化叫号与材料告知流程",
    "revisit": "电话回访申请人，对整改情况表示认可",
    "close": "问题已整改，申请人满意，办结",
}
NEXT_STEP = {"open": "verify", "verified": "rectify", "rectified": "revisit", "revisited": "close"}


@dataclass
class OfficeTally:
    received: int = 0
    completed: int = 0
    followup_steps: int = 0
    followups_closed: int = 0
    errors: int = 0
    # case id -> simulated second the office will act on it next
    due: dict[str, float] = field(default_factory=dict)


class Offices:
    def __init__(self, hub_url: str, token: str, clock: DayClock, seed: int) -> None:
        self.http = httpx.AsyncClient(
            base_url=hub_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        self.clock = clock
        self.seed = seed
        self.tally = OfficeTally()

    def _delay(self, key: str, span: tuple[float, float]) -> float:
        return random.Random(f"{self.seed}/{key}").uniform(*span)

    def _ready(self, key: str, span: tuple[float, float]) -> bool:
        now = self.clock.now_sim()
        due = self.tally.due.setdefault(key, now + self._delay(key, span))
        return now >= due

    async def run(self, stop: asyncio.Event) -> None:
        period = min(0.5, POLL_SIM_S / self.clock.speed)  # wall seconds
        while not stop.is_set():
            try:
                if self.clock.now_sim() < EVENING_S:  # then the offices go home
                    await self.back_office()
                    await self.followups()
            except (httpx.HTTPError, OSError) as exc:  # the hub is down (chaos): try again
                self.tally.errors += 1
                log.debug("offices: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period)

    async def back_office(self) -> None:
        page = await self.http.get("/api/backoffice/queue", params={"limit": 200})
        page.raise_for_status()
        for case in page.json()["cases"]:
            case_id, status = case["case_id"], case["status"]
            if status == "forwarded" and self._ready(f"{case_id}/receive", RECEIVE_AFTER_S):
                if await self._step(case_id, "receive", {"note": "已收件，进入审批"}):
                    self.tally.received += 1
            elif status == "received" and self._ready(f"{case_id}/complete", COMPLETE_AFTER_S):
                body = {"result": "经审核，符合办理条件，准予办理。"}
                if await self._step(case_id, "complete", body):
                    self.tally.completed += 1

    async def _step(self, case_id: str, step: str, body: dict[str, str]) -> bool:
        action = uuid.uuid5(STEPS, f"{case_id}:{step}")
        r = await self.http.post(
            f"/api/cases/{case_id}/{step}", json={**body, "action_id": str(action)}
        )
        if r.status_code >= 400:
            self.tally.errors += 1
            log.warning("back office %s %s: %s %s", step, case_id, r.status_code, r.text[:200])
            return False
        return bool(r.json().get("new"))

    async def followups(self) -> None:
        page = await self.http.get("/api/followups", params={"limit": 500})
        page.raise_for_status()
        for f in page.json()["followups"]:
            step = NEXT_STEP.get(f["status"])
            if step is None or not self._ready(f"{f['id']}/{step}", FOLLOWUP_STEP_S):
                continue
            action = uuid.uuid5(STEPS, f"{f['id']}:{step}")
            r = await self.http.post(
                f"/api/followups/{f['id']}/{step}",
                json={"note": FOLLOWUP_NOTES[step], "id": str(action)},
            )
            if r.status_code >= 400:
                self.tally.errors += 1
                log.warning("follow-up %s: %s %s", step, r.status_code, r.text[:200])
                continue
            self.tally.followup_steps += 1
            self.tally.followups_closed += step == "close"

    async def followups_left(self) -> tuple[int, int]:
        """The hub's follow-ups: how many there are, and how many are not closed yet."""
        r = await self.http.get("/api/followups", params={"limit": 1})
        r.raise_for_status()
        page = r.json()
        return int(page["total"]), int(page["open"])

    async def close(self) -> None:
        await self.http.aclose()


def _now() -> float:
    return time.time()
