"""The county data registry (信息一库) as the unit sees it: one HTTP call to the hub asking
which materials it can confirm for an applicant, identified by the HMAC reference only.

The hub answers only about the applicant of this unit's own open case (hub.window.
registry_rules), so the query names the case. The hub learns of the case from the unit's
events, which may still be on their way when the clerk reaches the materials: a 404 is asked
again a few times (``retry_s``) before the window gives up.

Any failure (no hub configured, network down, timeout, an error answer) returns None: the
materials are then simply not waived and the clerk asks for them; a refusal's reason (429: too
many queries) is kept in ``last_reason`` for the kiosk. The window never fails a case because
the hub is away.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import httpx
from pydantic import ValidationError

from edge.window.hubcalls import UnitHubClient, sent_generation
from protocol.case import RegistryAnswer, RegistryQuery

log = logging.getLogger("bianmin.edge.registry")
QUERY_PATH = "/api/unit/registry/query"


class RegistryClient(UnitHubClient):
    # waits before asking again after a 404 (the case not at the hub yet); within the hub's
    # per-case budget (hub settings registry_queries_per_case)
    retry_s: tuple[float, ...] = (0.3, 1.0, 2.0)
    last_reason: str | None = None

    async def lookup(
        self, ref: str, materials: tuple[str, ...], case: UUID | None = None
    ) -> frozenset[str] | None:
        """The materials the registry confirms for ``ref`` in ``case``; None when it cannot be
        asked or refuses."""
        self.last_reason = None
        if not materials:
            return frozenset()
        if not self.configured:
            return None
        query = RegistryQuery(
            applicant=ref, materials=materials, case=case,
            generation=sent_generation(self.generation()),
        )  # fmt: skip
        try:
            response = await self.post(QUERY_PATH, query)
            for wait in self.retry_s:
                if response.status_code != 404:
                    break
                await asyncio.sleep(wait)  # the case's events are still on their way
                response = await self.post(QUERY_PATH, query)
            if response.status_code in (404, 429):
                self.last_reason = _reason(response)
                log.warning(
                    "data registry refused (%s): materials stay required", response.status_code
                )
                return None
            response.raise_for_status()
            answer = RegistryAnswer.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            log.warning("data registry not available (%s): materials stay required", exc)
            return None
        if answer.applicant != ref:
            log.warning("data registry answered for another applicant; ignored")
            return None
        return frozenset(answer.found) & frozenset(materials)


def _reason(response: httpx.Response) -> str | None:
    """The hub's Chinese reason, bounded, if the body has one."""
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    message = detail.get("message") if isinstance(detail, dict) else None
    return message[:100] if isinstance(message, str) else None
