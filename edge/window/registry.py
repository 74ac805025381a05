"""The county data registry (信息一库) as the unit sees it: one HTTP call to the hub asking
which materials it can confirm for an applicant, identified by the HMAC reference only.

Any failure (no hub configured, network down, timeout, an error answer) returns None: the
materials are then simply not waived and the clerk asks for them. The window never waits
longer than `timeout_s` and never fails a case because the hub is away.
"""

from __future__ import annotations

import logging

import httpx
from pydantic import ValidationError

from edge.window.hubcalls import UnitHubClient
from protocol.case import RegistryAnswer, RegistryQuery

log = logging.getLogger("bianmin.edge.registry")
QUERY_PATH = "/api/unit/registry/query"


class RegistryClient(UnitHubClient):
    async def lookup(self, ref: str, materials: tuple[str, ...]) -> frozenset[str] | None:
        """The materials the registry confirms for ``ref``; None when it cannot be asked."""
        if not materials:
            return frozenset()
        if not self.configured:
            return None
        query = RegistryQuery(applicant=ref, materials=materials)
        try:
            response = await self.post(QUERY_PATH, query)
            response.raise_for_status()
            answer = RegistryAnswer.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            log.warning("data registry not available (%s): materials stay required", exc)
            return None
        if answer.applicant != ref:
            log.warning("data registry answered for another applicant; ignored")
            return None
        return frozenset(answer.found) & frozenset(materials)
