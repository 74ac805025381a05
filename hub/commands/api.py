"""The operator's command API: issue a command to a unit, list a unit's commands, read one;
revoke a unit. Area-bound like the fleet's routes: a town's operator commands its own villages'
units only, and any other unit is answered as not found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from hub.accounts.area import covers
from hub.accounts.auth import Operator, Viewer
from hub.accounts.roles import Actor
from hub.commands import outbox
from hub.commands.revocation import revoke
from hub.deps import RegistryDep, SessionDep
from hub.errors import Conflict, Forbidden, InvalidRequest, NotFound, UnitNotFound
from hub.models import Unit
from protocol import topics
from protocol.command import KINDS, InvalidArguments, UnknownCommand
from protocol.errors import InvalidTopic
from protocol.messages import JsonScalar
from protocol.topics import Channel
from protocol.villages import VillageRegistry

router = APIRouter(prefix="/api", tags=["commands"])


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=32)]
    args: dict[Annotated[str, Field(max_length=32)], JsonScalar] = Field(
        default_factory=dict, max_length=16
    )
    # how long the hub keeps publishing it (at most 14 days; default a day)
    ttl_s: Annotated[int, Field(ge=60, le=14 * 86400)] = 86400


class RevokeRequest(BaseModel):
    """The unit's id again: a revocation is for good, so the request names what it ends."""

    model_config = ConfigDict(extra="forbid")

    confirm: Annotated[str, Field(max_length=64)]


class RotateRequest(BaseModel):
    """A new broker password for the unit, made by provisioning (provisioning.live), which
    changes it on the broker once the unit has it."""

    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, Field(min_length=24, max_length=128)]
    generation: Annotated[int, Field(ge=1, le=2**31)]
    ttl_s: Annotated[int, Field(ge=60, le=14 * 86400)] = 7 * 86400


class CommandNotFound(NotFound):
    code = "command_not_found"


class NotIssuedHere(Forbidden):
    """A kind with a route of its own (``operator_may_issue`` false in protocol.command)."""

    code = "command_has_its_own_route"


# the route that issues each kind an operator may not issue on the generic route
OWN_ROUTES = {
    "rotate_credentials": "POST /api/units/{unit}/credentials/rotate "
    "(bianmin provision rotate UNIT --live, which makes the password and changes it on the broker)",
    "erase_resident": "POST /api/residents/{ref}/erase (a county-wide admin, with a receipt)",
    "rekey_references": "bianmin hub id-key rotate (on the hub's machine, the hub stopped)",
}


def _unit(session: Session, actor: Actor, registry: VillageRegistry, unit_id: str) -> str:
    try:
        topics.check_unit_id(unit_id)
    except InvalidTopic:
        raise UnitNotFound(f"no unit {unit_id[:64]!r}") from None
    known = unit_id in registry.unit_ids() or session.get(Unit, unit_id) is not None
    if not known or not covers(actor.area, registry, unit_id):
        raise UnitNotFound(f"no unit {unit_id!r}")
    return unit_id


@router.post("/units/{unit_id}/commands", status_code=status.HTTP_201_CREATED)
def issue_command(
    unit_id: str,
    body: CommandRequest,
    actor: Operator,
    session: SessionDep,
    registry: RegistryDep,
    request: Request,
) -> dict[str, Any]:
    """Sign a command for the unit and publish it on its `cmd` topic until it answers or the
    command expires. Kinds: reconnect, reconcile, diagnostics, reboot, test_slip. A kind with a
    route of its own (rotate_credentials, erase_resident) is refused here (403). Audited."""
    unit = _unit(session, actor, registry, unit_id)
    spec = KINDS.get(body.name)
    if spec is not None and not spec.operator_may_issue:
        where = OWN_ROUTES.get(body.name, "its own route")
        raise NotIssuedHere(f"{body.name} is not issued on this route: use {where}")
    return _issue(session, request, actor, unit, body.name, dict(body.args), body.ttl_s)


@router.post("/units/{unit_id}/credentials/rotate", status_code=status.HTTP_201_CREATED)
def rotate_credentials(
    unit_id: str,
    body: RotateRequest,
    actor: Operator,
    session: SessionDep,
    registry: RegistryDep,
    request: Request,
) -> dict[str, Any]:
    """Send the unit its new broker password in a `rotate_credentials` command (the password
    is a secret argument: neither the command table nor the audit log keeps it). Called by
    `bianmin provision rotate UNIT --live`, which changes the password on the broker only once
    the unit has answered. Audited."""
    unit = _unit(session, actor, registry, unit_id)
    args: dict[str, Any] = {"password": body.password, "generation": body.generation}
    return _issue(session, request, actor, unit, "rotate_credentials", args, body.ttl_s)


def _issue(
    session: Session,
    request: Request,
    actor: Actor,
    unit: str,
    name: str,
    args: dict[str, Any],
    ttl_s: int,
) -> dict[str, Any]:
    conn = session.connection()
    try:
        found = outbox.issue(
            conn, request.app.state.keys, unit=unit, name=name, args=args, actor=actor,
            ttl=timedelta(seconds=ttl_s),
        )  # fmt: skip
    except (UnknownCommand, InvalidArguments) as exc:
        raise InvalidRequest(f"{exc.code}: {exc}") from None
    except outbox.UnitRevoked as exc:
        raise Conflict(str(exc)) from None
    session.commit()
    notices = getattr(request.app.state, "notices", None)
    if notices is not None:
        notices.wake()  # publish it now, not at the next tick
    return found


@router.get("/units/{unit_id}/commands")
def unit_commands(
    unit_id: str,
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[dict[str, Any]]:
    """The unit's commands, newest first, with their state and outcome (no secret arguments;
    diagnostics in ``data``)."""
    unit = _unit(session, actor, registry, unit_id)
    return outbox.for_unit(session.connection(), unit, limit=limit, offset=offset)


@router.get("/commands/{command_id}")
def get_command(
    command_id: uuid.UUID, actor: Viewer, session: SessionDep, registry: RegistryDep
) -> dict[str, Any]:
    found = outbox.get(session.connection(), command_id)
    if found is None or not covers(actor.area, registry, found["unit"]):
        raise CommandNotFound(f"no command {command_id}")
    return found


@router.get("/command-kinds")
def command_kinds(actor: Viewer) -> dict[str, Any]:
    """The kinds the hub issues, with their Chinese labels and arguments."""
    return {
        name: {"label": k.label, "args": sorted(k.args), "secret": sorted(k.secret)}
        for name, k in KINDS.items()
    }


@router.post("/units/{unit_id}/revoke")
def revoke_unit(
    unit_id: str,
    body: RevokeRequest,
    actor: Operator,
    session: SessionDep,
    registry: RegistryDep,
    request: Request,
) -> dict[str, Any]:
    """Refuse the unit for good on the hub: its API token is deleted, whatever still arrives
    under its id is dead-lettered (``revoked``), and its retained `config` and `state` are
    cleared on the broker (``retained_cleared`` false when this process has no broker
    connection). `bianmin provision revoke UNIT` calls it after deleting the unit's broker
    client. The body confirms the unit: ``{"confirm": UNIT_ID}``. Audited."""
    unit = _unit(session, actor, registry, unit_id)
    if body.confirm != unit:
        raise InvalidRequest(f'confirm with the unit\'s id: {{"confirm": "{unit}"}}')
    answer = revoke(session.connection(), unit=unit, actor=actor, now=datetime.now(UTC))
    session.commit()
    consumer = getattr(request.app.state, "consumer", None)
    cleared = False
    if consumer is not None:
        consumer.revoke(unit)
        try:
            for channel in (Channel.CONFIG, Channel.STATE):
                consumer.client.publish(topics.topic(unit, channel), b"", qos=1, retain=True)
            cleared = True
        except Exception:  # not connected: the operator runs revoke again later
            cleared = False
    return {**answer, "retained_cleared": cleared}
