"""Operator commands to one unit on its `cmd` channel: signed like case notices and
configuration (Ed25519 over canonical JSON, checked with protocol.signing against the pinned
hub key), idempotent by ``id`` on the unit, answered on `cmd/result` with a ``CommandResult``.

A command is an event with an outcome: the hub publishes it (QoS 1, not retained) until the
unit answers or the command expires (``expires_at``; the unit refuses an expired one, so an old
copy replayed later does nothing). Each kind names the arguments it takes and which of them are
secret (the hub stores the others only); adding a kind is one entry in ``KINDS`` here and one
handler module in ``edge/commands/kinds/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import Field, ValidationError

from protocol.bounds import Text, Timestamp
from protocol.errors import InvalidMessage, ProtocolError, UnitMismatch
from protocol.messages import JsonScalar, Message, Name, UnitId, describe
from protocol.signing import verify_document

COMMAND_KIND: Final = "unit.command"


@dataclass(frozen=True)
class KindSpec:
    """What a command kind takes: its arguments (name -> Python type), the required ones, and
    the secret ones (delivered to the unit, never stored on the hub nor shown)."""

    label: str  # Chinese, for the hub's unit page
    args: dict[str, type] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    secret: frozenset[str] = frozenset()
    operator_may_issue: bool = True  # False: only provisioning issues it (it holds the secret)


KINDS: Final[dict[str, KindSpec]] = {
    "reconnect": KindSpec("重新连接"),
    "reconcile": KindSpec("重新核对配置"),
    "rotate_credentials": KindSpec(
        "更换接入密码",
        args={"password": str, "generation": int},
        required=frozenset({"password", "generation"}),
        secret=frozenset({"password"}),
        operator_may_issue=False,
    ),
    "diagnostics": KindSpec("收集诊断信息", args={"log_lines": int}),
    "reboot": KindSpec("重启设备"),
    "test_slip": KindSpec("打印测试单"),
    # one resident's data on the unit (hub.residents): the reference and the case ids are
    # secret, so neither the command table nor the audit log keeps them
    # ``generation``: the reference generation of ``applicant`` (protocol.idchain; absent: 1)
    "erase_resident": KindSpec(
        "删除居民数据",
        args={"applicant": str, "cases": str, "generation": int},
        required=frozenset({"applicant"}),
        secret=frozenset({"applicant", "cases"}),
        operator_may_issue=False,
    ),
    # the hub rotated its reference key (hub.window.rekey): the unit moves its stored
    # references to ``generation``; ``pairs`` ("old:new,...", secret) are those it may hold
    "rekey_references": KindSpec(
        "更新身份证号码核验结果",
        args={"generation": int, "pairs": str},
        required=frozenset({"generation", "pairs"}),
        secret=frozenset({"pairs"}),
        operator_may_issue=False,
    ),
}
MAX_COMMAND_BYTES = 16 * 1024
MAX_LOG_LINES = 60


class UnknownCommand(ProtocolError):
    code = "unknown_command"


class CommandExpired(ProtocolError):
    code = "expired"


class InvalidArguments(ProtocolError):
    code = "invalid_arguments"


class UnitCommand(Message):
    """A signed command for one unit."""

    v: Literal[1] = 1
    kind: Literal["unit.command"] = COMMAND_KIND
    id: UUID
    unit: UnitId
    name: Name
    args: Annotated[dict[Name, JsonScalar], Field(max_length=16)] = Field(default_factory=dict)
    issued_at: Timestamp
    expires_at: Timestamp
    issued_by: Annotated[Text, Field(max_length=64)]
    alg: Literal["ed25519"]
    key_id: Annotated[Text, Field(max_length=64)]
    sig: Annotated[Text, Field(max_length=256)]


def check_args(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """``args`` if kind ``name`` takes them; raise UnknownCommand or InvalidArguments."""
    spec = KINDS.get(name)
    if spec is None:
        raise UnknownCommand(f"unknown command kind {name[:40]!r}")
    unknown = sorted(set(args) - set(spec.args))
    if unknown:
        raise InvalidArguments(f"{name} takes no argument {unknown[0][:40]!r}")
    missing = sorted(spec.required - set(args))
    if missing:
        raise InvalidArguments(f"{name} needs the argument {missing[0]!r}")
    for key, value in args.items():
        want = spec.args[key]
        if not isinstance(value, want) or isinstance(value, bool):
            raise InvalidArguments(f"{name}: {key} must be {want.__name__}")
    return args


def public_args(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments without the secret ones: what the hub stores and shows."""
    secret = KINDS[name].secret if name in KINDS else frozenset()
    return {k: v for k, v in args.items() if k not in secret}


def command_document(
    *,
    id: UUID,
    unit: str,
    name: str,
    args: dict[str, Any],
    issued_at: datetime,
    expires_at: datetime,
    issued_by: str,
) -> dict[str, Any]:
    """The unsigned document the hub signs (protocol.signing.sign_document)."""
    return {
        "v": 1, "kind": COMMAND_KIND, "id": str(id), "unit": unit, "name": name,
        "args": check_args(name, dict(args)), "issued_at": issued_at.isoformat(),
        "expires_at": expires_at.isoformat(), "issued_by": issued_by,
    }  # fmt: skip


def open_signed_command(raw: dict[str, Any], *, key: Any, unit: str, now: datetime) -> UnitCommand:
    """Verify, then validate, a parsed command: the signature over the raw dict first (through
    protocol.signing, as notices and configuration), then the model, this unit, the expiry and
    the kind's arguments. ``key`` is the pinned key or the unit's trust list (edge/trust.py), as
    for configs and notices. Raises a ProtocolError whose ``code`` the unit answers with."""
    verify_document(raw, key)
    try:
        command = UnitCommand.model_validate(raw)
    except ValidationError as exc:
        raise InvalidMessage(f"UnitCommand: {describe(exc)}") from None
    if command.unit != unit:
        raise UnitMismatch(f"command is for unit {command.unit!r}, this is {unit!r}")
    if command.expires_at <= now:
        raise CommandExpired(f"command expired at {command.expires_at.isoformat()}")
    check_args(command.name, dict(command.args))
    return command
