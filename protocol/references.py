"""The wire form of the blinded reference exchange (protocol.idref): a unit sends a group
element, the hub answers with it raised to the county key and the key's public element."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from protocol.idref import ELEMENT_HEX

Element = Annotated[str, StringConstraints(pattern=rf"^[0-9a-f]{{{ELEMENT_HEX}}}$")]


class BlindedReference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    element: Element


class EvaluatedReference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluated: Element
    public: Element
