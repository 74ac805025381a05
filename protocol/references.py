"""The wire form of the blinded reference exchange (protocol.idref): a unit sends a group
element, the hub answers with it raised to the county key and the key's public element."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from protocol.idref import ELEMENT_HEX
from protocol.idseal import SEALED_HEX

Element = Annotated[str, StringConstraints(pattern=rf"^[0-9a-f]{{{ELEMENT_HEX}}}$")]


class BlindedReference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    element: Element


class EvaluatedReference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluated: Element
    public: Element


Sealed = Annotated[str, StringConstraints(pattern=rf"^[0-9a-f]{{{SEALED_HEX}}}$")]


class LateReference(BaseModel):
    """A case identified while the hub was away (protocol.idseal): B = H(n)^r and r, s sealed
    to the hub, bound to the unit and the case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case: UUID
    element: Element
    sealed: Sealed


class LateAnswer(BaseModel):
    """H(n)^k, and s for the unit to open the number it boxed with the case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluated: Element
    opener: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


Reference = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class ChainRequest(BaseModel):
    """After a rotation (protocol.idchain): the unit's generation-1 reference, unblinded, and
    the generation it keeps its references in; the hub answers that generation's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: Reference
    generation: Annotated[int, Field(ge=2, le=1_000_000)]


class ChainAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: Reference
    generation: int
