"""The ID-card reader at the window (读卡): the card's number becomes the ID reference (masked,
keyed hash; the number itself is dropped at once; while the hub is away it is sealed to the
hub for a later reference, as a typed number is: edge.window.pending), and with the
resident's face consent and the face models the live face is compared with the card's chip
photo at the profile's ``id_photo_threshold``. A match identifies (``id_card``, FaceCheck
``id_card_photo``); no match is never accepted: the clerk checks the card by eye as without a
reader, and the event says the chip photo did not match. Without the vendor's photo decoder
there is no photo to compare and the kiosk says so.

A mixin of ``Window`` (edge.window.window), like edge.window.identify.
"""

from __future__ import annotations

import asyncio
from typing import Any

from edge.devices.errors import DeviceError
from edge.devices.idcard.card import masked_name
from edge.devices.idcard.frames import FrameError
from edge.face.service import Consent
from edge.window import face_steps
from edge.window.base import WindowBase
from edge.window.parts import CardDraft, Draft
from edge.window.pending import PENDING_NOTICE, forget, pend
from edge.window.references import HubAway, ReferenceUnavailable, reference_for
from edge.workflow import errors as e
from edge.workflow.model import ChipPhoto, FaceCheck, Identify
from protocol import identity
from protocol.case import CaseState, IdMethod
from protocol.labels import DEVICE_LABELS

READER, CAMERA = DEVICE_LABELS["idcard"], DEVICE_LABELS["camera"]


def chip_check(outcome: face_steps.FaceOutcome, *, vouched: bool) -> FaceCheck:
    """The comparison as the case records it; ``vouched``: the clerk's check stands for a
    liveness challenge that failed."""
    assert outcome.distance is not None
    assert outcome.threshold is not None
    live = outcome.liveness == "passed"
    return FaceCheck(
        distance=outcome.distance, threshold=outcome.threshold, reference="id_card_photo",
        liveness=outcome.liveness or "failed:timeout", clerk_confirmed=vouched and not live,
    )  # fmt: skip


def card_identity(draft: Draft, method: IdMethod) -> Identify:
    """The clerk's check of a card the reader read: what became of its chip photo goes along.
    A comparison that matched but whose liveness failed is vouched for by the clerk's check."""
    card = draft.card
    assert card is not None
    assert draft.id_ref is not None or draft.id_pending  # pending: read while the hub was away
    assert draft.id_masked is not None
    o = card.outcome
    chip: ChipPhoto = "not_compared"
    face = None
    if card.compare == "no_photo":
        chip = "no_photo"
    elif card.compare == "no_match" and o is not None:
        chip, face = "no_match", chip_check(o, vouched=False)
    elif card.compare == "match" and o is not None:
        chip, method = "match", IdMethod.ID_CARD
        face = chip_check(o, vouched=True)
    return Identify(method, draft.id_ref, draft.id_masked, face, chip)


class CardActions(WindowBase):
    async def _do_card_read(self, args: dict[str, Any]) -> None:
        """读卡: wait for a card on the reader, then compare its photo when possible."""
        case = self.case
        if case is None or case.state is not CaseState.CONSENTED:
            raise e.WrongState("请在核验身份时读卡")
        if self.p.devices.idcard is None:
            raise e.DeviceProblem(f"本终端未配置{READER}，请输入身份证号码")
        if self.draft.card_busy or self.draft.face_busy:
            return
        self._start(self._read_card)

    async def _do_card_confirm_presence(self, args: dict[str, Any]) -> None:
        """The chip photo matched but the challenge failed: the clerk, seeing the resident,
        vouches that they are present."""
        card = self.draft.card
        if card is None or card.compare != "match":
            raise e.IdentityRejected("证件照片比对未通过，不能人工确认")
        await self._commit(card_identity(self.draft, IdMethod.ID_CARD))

    async def _read_card(self) -> None:
        reader = self.p.devices.idcard
        assert reader is not None
        d = self.draft
        d.card_busy, d.card_error, d.card = True, None, None
        try:
            read = await asyncio.to_thread(reader.read, None, d.stop)
        except FrameError as exc:  # bytes that are not the reader's frames: say so plainly
            d.card_error = f"{READER}通信出错，请重新放置身份证后重试（{exc}）"
            return
        except DeviceError as exc:
            d.card_error = f"读卡未成功：{exc}"
            return
        finally:
            d.card_busy = False
        if read.expired(self.p.clock().astimezone().date()):
            d.card_error = (
                f"该身份证有效期至{read.valid_until}，已过期，请使用有效证件或由工作人员人工核验"
            )
            return
        case = self.case
        assert case is not None
        try:
            d.id_ref = await reference_for(read.number, self.p.id_key, self.p.references)
            d.id_pending = False
            await forget(self.p, str(case.case_id))  # a number typed or read before, offline
        except ReferenceUnavailable as exc:
            if self.p.seal_key is None or not isinstance(exc, HubAway):
                d.card_error = exc.message_zh
                return
            # as for a typed number: sealed to the hub, the reference comes when it is back
            await pend(self.p, case.case_id, read.number)
            d.id_ref, d.id_pending = None, True
        d.id_masked = identity.mask(read.number)
        d.mode = "card"
        until = read.valid_until.isoformat() if read.valid_until else "长期"
        photo, note = read.photo, read.photo_note
        card = CardDraft(masked_name(read.name), until, "busy")
        del read  # the number and the name go no further than this
        d.card = card
        if d.id_pending:
            self.message = {"kind": "info", "text": PENDING_NOTICE}
        face, camera = self.p.face, self.p.camera
        if photo is None:
            card.compare, card.note = "no_photo", f"{note}，请工作人员核对证件照片与本人"
        elif not case.face_consent:
            card.compare, card.note = (
                "not_compared",
                "申请人未同意人脸核验，请工作人员核对证件照片与本人",
            )
        elif face is None or camera is None:
            card.compare, card.note = (
                "not_compared",
                "本终端未启用人脸核验，请工作人员核对证件照片与本人",
            )
        else:
            await self._compare(card, photo)

    async def _compare(self, card: CardDraft, photo: object) -> None:
        face, camera, case, d = self.p.face, self.p.camera, self.case, self.draft
        assert face is not None
        assert camera is not None
        assert case is not None
        consent = Consent("verify", str(case.case_id), case.updated_at)

        def prompt(text: str) -> None:
            d.face_prompt = text

        d.face_busy = True
        try:
            outcome = await asyncio.to_thread(
                face_steps.verify_card_live, face, camera, photo, consent, d.stop, prompt
            )
        finally:
            d.face_busy = False
            del photo  # the chip photo is used once and dropped
        card.outcome = outcome
        if outcome.error is not None:
            card.compare, card.note = "error", f"{outcome.error}，请工作人员核对证件照片与本人"
        elif not outcome.match:
            card.compare = "no_match"
            card.note = "不能以证件照片核验身份，请工作人员核对身份证原件与本人"
        else:
            card.compare = "match"
            if outcome.liveness == "passed":
                await self.advance(card_identity(d, IdMethod.ID_CARD))
