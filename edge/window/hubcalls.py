"""The window's authenticated calls to the hub (the data registry, the owed-materials lookup):
a JSON POST with the unit's own token, bounded in time, on a shared connection pool when the
agent has one. Callers turn every failure into an answer the clerk can read."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx
from pydantic import BaseModel


class UnitHubClient:
    def __init__(
        self,
        hub_url: str | None,
        token: str | None,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 3.0,
        verify: ssl.SSLContext | bool = True,
        generation: Callable[[], int] = lambda: 1,
    ) -> None:
        self.hub_url = hub_url.rstrip("/") if hub_url else None
        # the reference generation the unit keeps (edge.window.residents; protocol.idchain)
        self.generation = generation
        self.token = token
        self.timeout_s = timeout_s
        self._client = client
        # an https:// hub is verified against the county CA (EdgeSettings.hub_verify)
        self.verify = verify

    @property
    def configured(self) -> bool:
        return self.hub_url is not None and self.token is not None

    async def post(self, path: str, body: BaseModel) -> httpx.Response:
        """POST ``body`` as JSON to ``path``; raises httpx.HTTPError on a transport failure
        (the status is the caller's to judge)."""
        client = self._client or httpx.AsyncClient(verify=self.verify)
        try:
            return await client.post(
                f"{self.hub_url}{path}",
                content=body.model_dump_json(exclude_none=True),
                headers={
                    "authorization": f"Bearer {self.token}",
                    "content-type": "application/json",
                },
                timeout=self.timeout_s,
            )
        finally:
            if self._client is None:
                await client.aclose()


def sent_generation(generation: int) -> int | None:
    """What a request says of its reference's generation: nothing before any rotation."""
    return generation if generation > 1 else None
