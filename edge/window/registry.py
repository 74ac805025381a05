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

from protocol.case import RegistryAnswer, RegistryQuery

log = logging.getLogger("bianmin.edge.registry")
QUERY_PATH = "/api/unit/registry/query"


class RegistryClient:
    def __init__(
        self,
        hub_url: str | None,
        token: str | None,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 3.0,
    ) -> None:
        self.hub_url = hub_url.rstrip("/") if hub_url else None
        self.token = token
        self.timeout_s = timeout_s
        self._client = client

    @property
    def configured(self) -> bool:
        return self.hub_url is not None and self.token is not None

    async def lookup(self, ref: str, materials: tuple[str, ...]) -> frozenset[str] | None:
        """The materials the registry confirms for ``ref``; None when it cannot be asked."""
        if not materials:
            return frozenset()
        if not self.configured:
            return None
        query = RegistryQuery(applicant=ref, materials=materials)
        try:
            client = self._client or httpx.AsyncClient()
            try:
                response = await client.post(
                    f"{self.hub_url}{QUERY_PATH}",
                    content=query.model_dump_json(),
                    headers={
                        "authorization": f"Bearer {self.token}",
                        "content-type": "application/json",
                    },
                    timeout=self.timeout_s,
                )
            finally:
                if self._client is None:
                    await client.aclose()
            response.raise_for_status()
            answer = RegistryAnswer.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            log.warning("data registry not available (%s): materials stay required", exc)
            return None
        if answer.applicant != ref:
            log.warning("data registry answered for another applicant; ignored")
            return None
        return frozenset(answer.found) & frozenset(materials)
