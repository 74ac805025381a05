"""The clerk's identification actions on the kiosk: the ID number on the keypad, then 1:1 face
verification against that resident's template or the ID card checked by the clerk; or a 1:N
search among the residents enrolled here, whose candidates the clerk confirms (one, or none)
and which never identifies anyone by itself; and face enrollment with its own consent.

A mixin of ``Window`` (edge.window.window), which supplies the case, the draft, the steps and
the one way a case moves on (``_commit``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from edge.window.base import WindowBase
from edge.window.card import card_identity
from edge.window.pending import PENDING_NOTICE, forget, pend
from edge.window.references import HubAway, ReferenceUnavailable, reference_for
from edge.window.steps import face_identity
from edge.workflow import errors as e
from edge.workflow.model import FaceCheck, Identify, SearchPick
from protocol import identity
from protocol.case import IdMethod


class IdentifyActions(WindowBase):
    async def _do_id_number(self, args: dict[str, Any]) -> None:
        try:
            number = identity.validate(str(args.get("number", "")))
        except identity.InvalidIdNumber as exc:
            raise e.InvalidIdNumber(str(exc)) from None
        assert self.case is not None
        try:
            self.draft.id_ref = await reference_for(number, self.p.id_key, self.p.references)
            self.draft.id_pending = False
            await forget(self.p, str(self.case.case_id))  # a number typed before, offline
        except ReferenceUnavailable as exc:
            if self.p.seal_key is None or not isinstance(exc, HubAway):
                raise
            await pend(self.p, self.case.case_id, number)  # sealed to the hub; n forgotten
            self.draft.id_ref, self.draft.id_pending = None, True
        self.draft.id_masked = identity.mask(number)
        self.draft.card = None  # typed: no card was read for this number
        del number
        if self.draft.id_pending:
            self.draft.mode = "card"
            self.message = {"kind": "info", "text": PENDING_NOTICE}
            return
        ref = self.draft.id_ref
        assert ref is not None
        face_ok = self.case.face_consent and self.p.face is not None
        template = self.p.residents.template_for(ref) if face_ok else None
        if template is None:
            self.draft.mode = "card"
            if face_ok:
                self.message = {"kind": "info", "text": "该申请人尚未登记人脸，请核验身份证原件"}
            return
        self.draft.mode = "face"
        self._start(partial(self.steps.face, template))

    async def _do_face_retry(self, args: dict[str, Any]) -> None:
        ref = self.draft.id_ref
        template = self.p.residents.template_for(ref) if ref else None
        if template is None or self.draft.face_busy:
            return
        self._start(partial(self.steps.face, template))

    async def _do_face_confirm_presence(self, args: dict[str, Any]) -> None:
        """The challenge failed but the face matched: the clerk, seeing the resident, vouches."""
        outcome = self.draft.face
        if outcome is None or not outcome.match:
            raise e.IdentityRejected("人脸比对未通过，不能人工确认")
        await self._commit(face_identity(self.draft, outcome, clerk_confirmed=True))

    async def _do_use_card(self, args: dict[str, Any]) -> None:
        await self._stop_task()
        self.draft.mode = "card" if self.draft.id_ref else "number"
        self.draft.face = None

    async def _do_card_checked(self, args: dict[str, Any]) -> None:
        method = IdMethod.CLERK_CHECK if args.get("method") == "clerk_check" else IdMethod.ID_CARD
        d = self.draft
        # pending: typed or read while the hub was away, sealed for a later reference
        if (d.id_ref is None and not d.id_pending) or d.id_masked is None:
            raise e.IdentityRejected("请先输入身份证号码")
        if self.draft.card is not None:  # read by the reader: its chip photo's fate goes along
            await self._stop_task()
            await self._commit(card_identity(self.draft, method))
            return
        await self._commit(Identify(method, d.id_ref, d.id_masked))

    async def _do_face_search(self, args: dict[str, Any]) -> None:
        """刷脸查找 (1:N): only with the resident's face consent, on a unit with face models."""
        case = self.case
        if case is None or not case.face_consent:
            raise e.ConsentMissing("申请人未单独同意人脸核验，请输入身份证号码核验")
        if self.p.face is None or self.p.camera is None:
            raise e.DeviceProblem("本终端未启用人脸识别")
        if self.draft.face_busy:
            return
        self.draft.mode = "search"
        self._start(self.steps.search)

    async def _do_face_pick(self, args: dict[str, Any]) -> None:
        """The clerk confirms one candidate of the search, seeing the resident in front of them.
        A candidate beyond the threshold cannot be confirmed; a failed liveness challenge is
        vouched for by the same confirmation (``clerk_confirmed``)."""
        offers = self.draft.offers or ()
        rank = args.get("rank")
        offer = next((o for o in offers if o.rank == rank), None)
        if offer is None:
            raise e.IdentityRejected("请在候选人中选择")
        if not offer.match:
            raise e.IdentityRejected("该候选人比对距离超出阈值，不能确认，请改用身份证核验")
        liveness = self.draft.search_liveness or "failed:timeout"
        check = FaceCheck(
            distance=offer.distance, threshold=offer.threshold, reference="template",
            liveness=liveness, clerk_confirmed=liveness != "passed",
            search=SearchPick(rank=offer.rank, candidates=len(offers), margin=offer.margin),
        )  # fmt: skip
        await self._commit(Identify(IdMethod.FACE, offer.ref, offer.id_masked, check))

    async def _do_face_none(self, args: dict[str, Any]) -> None:
        """None of the candidates is the resident: identify by the ID number instead."""
        await self._stop_task()
        self.draft.offers, self.draft.search_error, self.draft.mode = None, None, "number"

    async def _do_enroll(self, args: dict[str, Any]) -> None:
        """登记人脸: only with the resident's own, separate consent to enrollment."""
        if not args.get("consent"):
            raise e.ConsentMissing("登记人脸须申请人另行单独同意")
        if self.p.face is None or self.p.camera is None:
            raise e.DeviceProblem("本终端未启用人脸识别")
        case = self.case
        if case is None or case.applicant is None:
            raise e.WrongState("请先核验身份")
        if case.applicant.ref is None:  # the template must be linked to a reference
            raise e.WrongState("身份证号码尚待县级平台核验，暂不能登记人脸")
        self._start(partial(self.steps.enroll, case, case.applicant.ref))
