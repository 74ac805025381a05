"""`POST /api/unit/identity/reference`: a unit's blinded ID number turned into its reference
(protocol.idref). The hub sees a random group element, never the number; the unit never holds
the key. Each unit has an hourly budget, so a stolen token cannot test candidate numbers at
speed, and every evaluation is audited (the unit and a count, nothing of the element)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from sqlalchemy import select

from hub import audit, ratelimit
from hub.accounts.roles import unit_actor
from hub.audit import AUDIT
from hub.errors import Conflict, InvalidRequest, RateLimited
from hub.window.api import UnitDep
from hub.window.idgen import generations_of
from hub.window.idkey import load_id_key, load_seal_key
from protocol import idchain, idref, idseal
from protocol.references import (
    BlindedReference,
    ChainAnswer,
    ChainRequest,
    EvaluatedReference,
    LateAnswer,
    LateReference,
)

router = APIRouter()
TOO_OFTEN = "本终端本小时核验身份证号码次数已达上限，请稍后再试或联系县级管理员"


def _key(request: Request) -> bytes:
    key: bytes | None = getattr(request.app.state, "id_key", None)
    if key is None:  # read once per process; every process reads the same file
        key = request.app.state.id_key = load_id_key(request.app.state.settings)
    return key


@router.post("/api/unit/identity/reference")
def evaluate_reference(
    body: BlindedReference, unit: UnitDep, request: Request
) -> EvaluatedReference:
    """H(n)·g^r raised to the county key, with the key's public element to unblind with: the
    unit's generation-1 reference (a later generation: the chain route below)."""
    key = _key(request)
    generations_of(request.app.state).check()  # 503 while a rotation is under way
    try:
        element = idref.from_hex(body.element)
    except idref.InvalidElement as exc:  # outside the subgroup: would leak a bit of the key
        raise InvalidRequest(str(exc)) from None
    engine = request.app.state.engine
    settings = request.app.state.settings
    with engine.begin() as conn:  # committed before any refusal: refused ones count too
        within = ratelimit.hit(
            conn, key=f"idref:unit:{unit}", limit=settings.id_references_per_hour,
            window_s=3600, now=datetime.now(UTC),
        )  # fmt: skip
        if within:
            audit.record(
                conn, actor=unit_actor(unit), action="identity.reference", target=f"unit/{unit}"
            )
    if not within:
        raise RateLimited(TOO_OFTEN)
    return EvaluatedReference(
        evaluated=idref.to_hex(idref.evaluate(element, key)),
        public=idref.to_hex(idref.public_element(key)),
    )


LATE_ACTION = "identity.reference_later"
ALREADY = "该案件的身份证号码核验结果已经发放过"


@router.post("/api/unit/identity/reference/later")
def evaluate_later(body: LateReference, unit: UnitDep, request: Request) -> LateAnswer:
    """A case identified while the hub was away: B^(k/r) = H(n)^k and the unit's opener s, once
    per case (a second ask is refused: a thief with the unit's token gets no repeat), within
    the unit's own hourly budget. The hub never sees the number: it is boxed on the unit."""
    key = _key(request)
    generations_of(request.app.state).check()
    settings = request.app.state.settings
    private = request.app.state.id_seal_key = getattr(
        request.app.state, "id_seal_key", None
    ) or load_seal_key(settings)
    case = str(body.case)
    try:
        element = idref.from_hex(body.element)
        evaluated, opener = idseal.evaluate(
            element, bytes.fromhex(body.sealed), private, key, unit, case
        )
    except (idref.InvalidElement, idseal.SealError) as exc:
        raise InvalidRequest(str(exc)) from None
    target = f"case/{case}"
    with request.app.state.engine.begin() as conn:
        within = ratelimit.hit(
            conn, key=f"idref-later:unit:{unit}", limit=settings.id_late_references_per_hour,
            window_s=3600, now=datetime.now(UTC),
        )  # fmt: skip
        done = conn.execute(
            select(AUDIT.c.id).where(AUDIT.c.action == LATE_ACTION, AUDIT.c.target == target)
        ).first()
        if within and done is None:
            audit.record(conn, actor=unit_actor(unit), action=LATE_ACTION, target=target)
    if not within:
        raise RateLimited(TOO_OFTEN)
    if done is not None:
        raise Conflict(ALREADY)
    return LateAnswer(evaluated=idref.to_hex(evaluated), opener=opener.hex())


CHAIN_ACTION = "identity.reference_chain"


@router.post("/api/unit/identity/reference/chain")
def chain_reference(body: ChainRequest, unit: UnitDep, request: Request) -> ChainAnswer:
    """The second step after a rotation (protocol.idchain): the unit's unblinded ref_1 carried
    to the generation the unit keeps its references in. The hub sees a reference, never the
    number. Counted and audited like the first step: with a leaked ``k`` this is what is left
    to test candidates against, so it has the same hourly budget per unit."""
    gens = generations_of(request.app.state)
    gens.check()
    if body.generation > gens.current:
        raise InvalidRequest(f"the hub's references are at generation {gens.current}")
    settings = request.app.state.settings
    with request.app.state.engine.begin() as conn:
        within = ratelimit.hit(
            conn, key=f"idref-chain:unit:{unit}", limit=settings.id_references_per_hour,
            window_s=3600, now=datetime.now(UTC),
        )  # fmt: skip
        if within:
            audit.record(conn, actor=unit_actor(unit), action=CHAIN_ACTION, target=f"unit/{unit}")
    if not within:
        raise RateLimited(TOO_OFTEN)
    ref = idchain.forward(body.reference, gens.keys, start=idchain.FIRST, to=body.generation)
    return ChainAnswer(reference=ref, generation=body.generation)
