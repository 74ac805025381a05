"""Cases identified by a typed ID number while the hub was away (protocol.idseal).

The window keeps serving: the number is blinded (B = H(n)^r), r and a box key s are sealed to
the hub's public key, the number is boxed under s, and n, r and s are forgotten. The case goes
on with a pending reference: no green channel (the blacklist cannot be checked) and no registry
waiver (the registry cannot be asked), the clerk told why in Chinese.

Once the hub answers again, ``resolve`` sends each pending case's (B, sealed) to
``POST /api/unit/identity/reference/later``, opens the box with the hub's s, finishes the
reference with H(n)^k and records it as a ``reference_resolved`` event about the case (checked
against the unit's blacklist): the hub folds it into the case record as it folds any event. The
unit computes the reference, not the hub, because its outer hash binds the number, which only
the unit's box holds. Kept in the event log's state table, in the same database as the case."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import httpx
from pydantic import ValidationError

from edge.window.parts import WindowParts
from edge.window.references import ReferenceClient, ReferenceUnavailable
from protocol import idchain, idref, idseal
from protocol.case import REF_GENERATION, REFERENCE_RESOLVED_STATE
from protocol.messages import CaseTransition, DataValue
from protocol.references import LateAnswer, LateReference

log = logging.getLogger("bianmin.edge.references")
PENDING = "window.pending_references"
LATER_PATH = "/api/unit/identity/reference/later"
MAX_PENDING = 2000  # weeks of a village window's cases; beyond it the oldest is dropped
PENDING_NOTICE = (
    "县级平台暂时无法连接：身份证号码已加密保存，恢复连接后自动核验。"
    "核验前不能容缺受理，信息一库也无法查询，证明材料须申请人出示；请核验身份证原件后继续"
)


def pending(parts: WindowParts) -> list[dict[str, str]]:
    raw = parts.store.event_log.get_state(PENDING)
    try:
        entries = json.loads(raw) if raw else []
    except ValueError:
        log.exception("the pending references cannot be read")
        return []
    return [e for e in entries if isinstance(e, dict)]


async def pend(parts: WindowParts, case_id: UUID, number: str) -> None:
    """Keep the number of ``case_id`` sealed for a later reference; the number is not kept."""
    assert parts.seal_key is not None
    p = await asyncio.to_thread(idseal.pend, number, parts.seal_key, parts.unit, str(case_id))
    entry = {
        "case": str(case_id), "element": idref.to_hex(p.element),
        "sealed": p.sealed.hex(), "boxed": p.boxed.hex(),
    }  # fmt: skip
    kept = [e for e in pending(parts) if e.get("case") != str(case_id)]  # a retyped number
    kept.append(entry)
    await parts.store.event_log.put_state({PENDING: json.dumps(kept[-MAX_PENDING:])})


async def resolve(
    parts: WindowParts,
    client: ReferenceClient,
    blacklist: Callable[[], frozenset[str] | None],
    clock: Callable[[], datetime],
) -> int:
    """Ask the hub for every pending case's reference; record each as an event. Stops at the
    first case the hub cannot answer for want of a link (the rest wait for the next round);
    a case the hub refuses outright (already answered, or a seal it cannot open) is dropped
    with a warning, since asking again cannot succeed. Returns how many were recorded."""
    done = 0
    for entry in pending(parts):
        case = entry.get("case", "")
        try:
            body = LateReference(case=UUID(case), element=entry["element"], sealed=entry["sealed"])
            response = await client.post(LATER_PATH, body)
        except (KeyError, ValueError, ValidationError):
            log.warning("a pending reference entry is malformed; dropped")
            await forget(parts, case)
            continue
        except httpx.HTTPError:
            return done
        if response.status_code in (409, 422):
            log.warning("the hub refused the pending reference of case %s (%d); dropped",
                        case, response.status_code)  # fmt: skip
            await forget(parts, case)
            continue
        if response.status_code != 200:
            return done  # 429, 5xx: try again on the next round
        try:
            answer = LateAnswer.model_validate_json(response.content)
            ref = await asyncio.to_thread(
                idseal.finish, bytes.fromhex(entry["boxed"]), bytes.fromhex(answer.opener),
                idref.from_hex(answer.evaluated), parts.unit, case,
            )  # fmt: skip
        except (ValidationError, ValueError) as exc:
            log.warning("the hub's answer for case %s does not open (%s); dropped", case, exc)
            await forget(parts, case)
            continue
        # after a rotation, the unit's own generation (protocol.idchain); the hub answers a
        # case once, so when the chain step fails the generation-1 reference is recorded,
        # tagged, for the hub to carry, and the unit's blacklist is not asked about it
        generation = unit_generation = client.generation()
        try:
            ref = await client.carry(ref)
        except ReferenceUnavailable:
            log.warning("case %s: reference recorded at generation 1 (chain step failed)", case)
            generation = idchain.FIRST
        listed = blacklist() if generation == unit_generation else None
        data: dict[str, DataValue] = {
            "applicant": ref, "blacklisted": bool(listed is not None and ref in listed),
            "blacklist_checked": listed is not None,
        }  # fmt: skip
        if generation > idchain.FIRST:
            data[REF_GENERATION] = generation
        event = CaseTransition(
            case_id=UUID(case), state=REFERENCE_RESOLVED_STATE, matter_code=None, data=data
        )
        rest = [e for e in pending(parts) if e.get("case") != case]
        await parts.store.event_log.append(event, clock(), state={PENDING: json.dumps(rest)})
        if listed is not None and ref in listed:
            log.warning("case %s: the applicant identified offline is on the blacklist", case)
        done += 1
    return done


async def forget(parts: WindowParts, case: str) -> None:
    """Drop ``case``'s pending reference (its number was typed again and the hub answered)."""
    entries = pending(parts)
    rest = [e for e in entries if e.get("case") != case]
    if len(rest) != len(entries):
        await parts.store.event_log.put_state({PENDING: json.dumps(rest)})
