"""容缺 follow-up at any window: ask the hub which materials a case still owes (by the slip's
QR, as its token's SHA-256, or by the applicant's keyed reference computed here), and record
补齐 as a `supplied` transition about that case in this unit's event log (to the hub like any
event; the hub's fold releases the case once nothing is owed).

Like the registry query, every failure is an answer the clerk can read, never a stuck screen:
the hub may be away, or refuse a unit asking too often."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from datetime import datetime

import httpx
from pydantic import ValidationError

from edge.eventlog import EventLog
from edge.window.hubcalls import UnitHubClient
from protocol.case import SUPPLIED_STATE
from protocol.messages import CaseEnvelope, CaseTransition, DataValue
from protocol.supply import OwedAnswer, OwedCase, OwedLookup

log = logging.getLogger("bianmin.edge.supply")
OWED_PATH = "/api/unit/cases/owed"


@dataclass(frozen=True)
class Lookup:
    cases: tuple[OwedCase, ...] = ()
    error: str | None = None  # Chinese, for the clerk


class SupplyClient(UnitHubClient):
    def __init__(
        self,
        hub_url: str | None,
        token: str | None,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 5.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        super().__init__(hub_url, token, client=client, timeout_s=timeout_s, verify=verify)

    async def owed(self, lookup: OwedLookup) -> Lookup:
        if not self.configured:
            return Lookup(error="本终端未配置县中心地址或令牌，不能查询容缺办件")
        try:
            response = await self.post(OWED_PATH, lookup)
            if response.status_code == 429:
                return Lookup(error="查询过于频繁，请稍后再试")
            response.raise_for_status()
            answer = OwedAnswer.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            log.warning("owed-materials lookup failed (%s)", exc)
            return Lookup(error="暂时无法连接县中心，请稍后再试")
        return Lookup(cases=answer.cases)


def supplied(case: OwedCase, materials: list[str], clerk: str | None = None) -> CaseTransition:
    """补齐 of ``materials`` (some or all of what ``case`` owes), recorded by this window's
    ``clerk`` (a roster id; the hub keeps the case's own clerk)."""
    data: dict[str, DataValue] = {"materials": list(materials), "clerk": clerk}
    if case.case_ref:
        data["case_ref"] = case.case_ref
    return CaseTransition(
        case_id=case.case_id, state=SUPPLIED_STATE, matter_code=case.matter_code, data=data
    )


async def record_supply(
    event_log: EventLog,
    case: OwedCase,
    materials: list[str],
    at: datetime,
    clerk: str | None = None,
) -> CaseEnvelope:
    """Commit the `supplied` event (before the clerk is told it is done, like every step)."""
    return await event_log.append(supplied(case, materials, clerk), at)
