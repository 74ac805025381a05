"""Recording a step on the hub: the action row, the case's record recomputed, and the audit
entry, in the caller's transaction. Idempotent by the action's id, so a client retrying a
request it did not see answered records the step once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub.accounts.roles import Actor
from hub.cases.fold import ActionKind
from hub.cases.project import ACTIONS, RECORDS, project
from hub.errors import CaseNotFound
from protocol.ids import uuid7


def case_row(conn: Connection, case_id: uuid.UUID) -> Any:
    row = conn.execute(select(RECORDS).where(RECORDS.c.case_id == case_id)).first()
    if row is None:
        raise CaseNotFound(f"no case {case_id}")
    return row


def record_action(
    conn: Connection,
    *,
    case_id: uuid.UUID,
    kind: ActionKind,
    actor: Actor,
    data: dict[str, Any] | None = None,
    action_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> tuple[Any, bool]:
    """Append the action and return (the case's new record, whether it was new). The caller
    checks that the action is allowed (who, and in which status) before calling."""
    case_row(conn, case_id)
    action_id = action_id or uuid7()
    if conn.execute(select(ACTIONS.c.id).where(ACTIONS.c.id == action_id)).first() is not None:
        return case_row(conn, case_id), False
    when = at or datetime.now(UTC)
    try:
        with conn.begin_nested():  # a concurrent retry of the same action may win the insert
            conn.execute(
                ACTIONS.insert().values(
                    id=action_id, case_id=case_id, at=when, kind=kind.value,
                    actor=actor.name[:64], data=data or {},
                )
            )  # fmt: skip
    except IntegrityError:
        return case_row(conn, case_id), False
    project(conn, [case_id])
    audit.record(
        conn, actor=actor, action=f"case.{kind.value}", target=str(case_id),
        detail={"action_id": str(action_id), **(data or {})},
    )  # fmt: skip
    return case_row(conn, case_id), True
