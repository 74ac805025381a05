"""A resident's ID-number reference as the window gets it: from the hub, blinded (protocol.
idref), so the unit holds no key that turns a number into a reference and the hub never sees
the number. A unit still given the county key (an identity from before issue 17, the demo and
the simulators, which stand in for the hub) computes it itself.

Without the hub a typed or read number cannot be turned into a reference: the clerk is told so
in Chinese and may try again; nothing is recorded until the reference is there."""

from __future__ import annotations

import asyncio
import logging

import httpx
from pydantic import ValidationError

from edge.window.hubcalls import UnitHubClient
from edge.workflow.errors import WorkflowError
from protocol import idchain, identity, idref
from protocol.references import BlindedReference, ChainAnswer, ChainRequest, EvaluatedReference

log = logging.getLogger("bianmin.edge.references")
REFERENCE_PATH = "/api/unit/identity/reference"
CHAIN_PATH = "/api/unit/identity/reference/chain"
UNAVAILABLE = "暂时无法连接县级平台核验身份证号码，请稍后重试"


class ReferenceUnavailable(WorkflowError):
    code = "reference_unavailable"


class HubAway(ReferenceUnavailable):
    """The hub could not be reached (or failed): a typed number may wait for it, sealed."""


class ReferenceClient(UnitHubClient):
    async def reference(self, number: str) -> str:
        """The reference of a validated number; ReferenceUnavailable (with the hub's Chinese
        reason for a 429) when the hub cannot be asked."""
        if not self.configured:
            raise ReferenceUnavailable(UNAVAILABLE, "no hub configured for references")
        blinded = await asyncio.to_thread(idref.Blinded, number)
        try:
            response = await self.post(
                REFERENCE_PATH, BlindedReference(element=idref.to_hex(blinded.element))
            )
            if response.status_code == 429:
                raise ReferenceUnavailable(_message(response) or UNAVAILABLE, "rate limited")
            response.raise_for_status()
            answer = EvaluatedReference.model_validate_json(response.content)
            evaluated, public = idref.from_hex(answer.evaluated), idref.from_hex(answer.public)
        except (httpx.HTTPError, ValidationError, idref.InvalidElement) as exc:
            log.warning("ID reference not available from the hub (%s)", type(exc).__name__)
            raise HubAway(UNAVAILABLE, "hub unavailable") from None
        first = await asyncio.to_thread(blinded.unblind, evaluated, public)
        return await self.carry(first)

    async def carry(self, first: str) -> str:
        """A generation-1 reference as this unit keeps references: the same before any
        rotation; after one, the hub's chain step (protocol.idchain) to the unit's generation,
        which stays the one its enrolled residents are linked by until its rekey command."""
        generation = self.generation()
        if generation <= idchain.FIRST:
            return first
        if not self.configured:
            raise ReferenceUnavailable(UNAVAILABLE, "no hub configured for references")
        try:
            response = await self.post(
                CHAIN_PATH, ChainRequest(reference=first, generation=generation)
            )
            if response.status_code == 429:
                raise ReferenceUnavailable(_message(response) or UNAVAILABLE, "rate limited")
            response.raise_for_status()
            answer = ChainAnswer.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            log.warning("ID reference not available from the hub (%s)", type(exc).__name__)
            raise HubAway(UNAVAILABLE, "hub unavailable") from None
        if answer.generation != generation:
            raise HubAway(UNAVAILABLE, "the hub answered another generation")
        return answer.reference


async def reference_for(number: str, key: bytes | None, client: ReferenceClient | None) -> str:
    """``number``'s reference, of the unit's generation: with the key where the unit has one
    (then carried by the hub after a rotation), else from the hub."""
    if key is not None:
        first = identity.reference(number, key)
        return first if client is None else await client.carry(first)
    if client is None:
        raise ReferenceUnavailable(UNAVAILABLE, "no hub configured for references")
    return await client.reference(number)


def _message(response: httpx.Response) -> str | None:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    message = detail.get("message") if isinstance(detail, dict) else None
    return message[:100] if isinstance(message, str) else None
