"""Routes for the signing-key ring: county operators only (a key signs for every unit), every
step audited (hub/signing/store.py). The CLI (`bianmin hub key`) does the same on the hub's
machine."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.accounts.auth import Operator
from hub.accounts.roles import Actor
from hub.deps import SessionDep
from hub.errors import Forbidden
from hub.signing.ring import Ring
from hub.signing.status import KeyStatus, check_promote, key_status
from hub.signing.store import HubKeys

router = APIRouter()


class PromoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # the share of units (with a heartbeat) that must trust the next key
    min_share: Annotated[float, Field(ge=0, le=1)] = 1.0


def _county(actor: Actor) -> Actor:
    if not actor.area.county:
        raise Forbidden(
            f"{actor.name} acts for part of the county; the signing key is the county's"
        )
    return actor


def _keys(request: Request) -> HubKeys:
    keys: HubKeys = request.app.state.keys
    return keys


def _status(session: SessionDep, ring: Ring) -> KeyStatus:
    return key_status(session, ring)


@router.get("/api/keys")
def keys_status(actor: Operator, session: SessionDep, request: Request) -> KeyStatus:
    """The ring (key ids, states, serial), which units trust which key, and the next step."""
    _county(actor)
    return _status(session, _keys(request).ring(session))


@router.post("/api/keys/rotate")
def keys_rotate(actor: Operator, session: SessionDep, request: Request) -> KeyStatus:
    """Create the next key and announce it: every unit's next config carries it, signed by
    the current key. Its private key is written beside the first key (copy it to every hub
    process)."""
    _county(actor)
    return _status(session, _keys(request).rotate(session, actor))


@router.post("/api/keys/promote")
def keys_promote(
    body: PromoteRequest, actor: Operator, session: SessionDep, request: Request
) -> KeyStatus:
    """Sign with the announced key from now on; refused while fewer than ``min_share`` of the
    units trust it."""
    _county(actor)
    keys = _keys(request)
    ring = keys.ring(session)
    check_promote(ring, key_status(session, ring), body.min_share)
    return _status(session, keys.promote(session, actor))


@router.post("/api/keys/retire")
def keys_retire(actor: Operator, session: SessionDep, request: Request) -> KeyStatus:
    """Announce the previous key as retired; units refuse what it signs once they have the
    list (roll out to every unit)."""
    _county(actor)
    return _status(session, _keys(request).retire(session, actor))
