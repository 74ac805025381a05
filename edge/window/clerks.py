"""Who is signed in at the kiosk: the clerk roster from the signed configuration, a PIN checked
offline against its scrypt hash, a lock-out after repeated wrong PINs, and sign-out after idle
time. The roster is read from the running configuration on every call, so a clerk the hub
disabled is signed out as soon as the configuration without them is applied.

Wrong PINs count for the kiosk as a whole, whichever name was tapped (so cycling through the
names buys nothing); the count and the lock survive a restart of the unit (they are kept in
the outbox database's unit state).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from edge.eventlog import EventLog
from edge.workflow import errors as e
from edge.workflow.model import OnDuty
from protocol.clerks import ClerkRoster, pin_matches

log = logging.getLogger("bianmin.edge.window")
SIGN_IN_STATE = "window.sign_in"
NO_ROSTER = (
    "本终端尚未收到县中心下发的窗口工作人员名册，暂不能办件。"
    "请联系县中心添加本村工作人员并下发配置。"
)


@dataclass
class _Attempts:
    failures: int = 0
    locked_until: datetime | None = None


class ClerkDesk:
    def __init__(
        self,
        roster: Callable[[], ClerkRoster | None],
        event_log: EventLog,
        clock: Callable[[], datetime],
    ) -> None:
        self._roster = roster
        self._log = event_log
        self._clock = clock
        self._on_duty: OnDuty | None = None
        self._seen = clock()
        self._attempts = self._load()

    # -- the roster and who is on duty --------------------------------------------------------

    def roster(self) -> ClerkRoster | None:
        """The roster, or None when the unit has none (or one with nobody on it)."""
        roster = self._roster()
        return roster if roster is not None and roster.clerks else None

    def current(self) -> OnDuty | None:
        """The clerk signed in now; signs them out if idle too long or no longer on the roster."""
        clerk = self._on_duty
        if clerk is None:
            return None
        roster = self.roster()
        entry = roster.get(clerk.id) if roster is not None else None
        if roster is None or entry is None:
            log.info("clerk %s is no longer on the roster: signed out", clerk.id)
            self._on_duty = None
            return None
        if self._clock() - self._seen > timedelta(seconds=roster.idle_sign_out_s):
            log.info("clerk %s signed out after %d s idle", clerk.id, roster.idle_sign_out_s)
            self._on_duty = None
            return None
        if (entry.name, entry.role) != (clerk.name, clerk.role):
            self._on_duty = clerk = OnDuty(entry.id, entry.name, entry.role)
        return clerk

    def touch(self) -> None:
        """The clerk did something: the idle time starts again."""
        self._seen = self._clock()

    def sign_out(self) -> None:
        self._on_duty = None

    def locked_s(self) -> int:
        """Seconds until sign-in opens again after too many wrong PINs; 0 when it is open."""
        until = self._attempts.locked_until
        if until is None:
            return 0
        left = (until - self._clock()).total_seconds()
        roster = self.roster()
        cap = roster.lockout_s if roster is not None else 3600
        return max(0, min(int(left + 0.999), cap))  # a clock set back never locks for longer

    # -- signing in ----------------------------------------------------------------------------

    async def sign_in(self, clerk_id: str, pin: str) -> OnDuty:
        roster = self.roster()
        if roster is None:
            raise e.NoRoster(NO_ROSTER)
        locked = self.locked_s()
        if locked:
            raise e.SignInRefused(f"PIN输入错误次数过多，已锁定，请{_minutes(locked)}后再试")
        entry = roster.get(clerk_id)
        if entry is None:
            raise e.SignInRefused("该工作人员不在本窗口名册中")
        if not await asyncio.to_thread(pin_matches, pin, entry.pin):
            await self._failed(roster)
        self._attempts = _Attempts()
        await self._save()
        self._on_duty = OnDuty(entry.id, entry.name, entry.role)
        self.touch()
        log.info("clerk %s signed in", entry.id)
        return self._on_duty

    async def _failed(self, roster: ClerkRoster) -> NoReturn:
        a = self._attempts
        a.failures += 1
        left = roster.max_pin_attempts - a.failures
        if left <= 0:
            a.failures, a.locked_until = 0, self._clock() + timedelta(seconds=roster.lockout_s)
            await self._save()
            log.warning("sign-in locked for %d s after %d wrong PINs", roster.lockout_s,
                        roster.max_pin_attempts)  # fmt: skip
            raise e.SignInRefused(
                f"PIN输入错误次数过多，已锁定，请{_minutes(roster.lockout_s)}后再试"
            )
        await self._save()
        raise e.SignInRefused(f"PIN不正确，还可尝试{left}次")

    # -- persistence ---------------------------------------------------------------------------

    def _load(self) -> _Attempts:
        raw = self._log.get_state(SIGN_IN_STATE)
        if not raw:
            return _Attempts()
        try:
            doc = json.loads(raw)
            until = doc.get("locked_until")
            return _Attempts(
                int(doc.get("failures", 0)), datetime.fromisoformat(until) if until else None
            )
        except (ValueError, TypeError, AttributeError):
            log.warning("unreadable sign-in state; starting from no failures")
            return _Attempts()

    async def _save(self) -> None:
        a = self._attempts
        until = a.locked_until.isoformat() if a.locked_until else None
        doc = json.dumps({"failures": a.failures, "locked_until": until})
        await self._log.put_state({SIGN_IN_STATE: doc})


def _minutes(seconds: int) -> str:
    return f"{max(1, -(-seconds // 60))}分钟"
