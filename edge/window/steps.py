"""The window's device steps: face verification, 1:N search and enrollment, the registry lookup,
the signature (and an agent's case's 委托授权), printing and the rating. The window runs one at
a time as the background task of the case's state; a step moves the case on only through the
window (``StepHost.advance``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from edge.config.applier import RunningConfig
from edge.devices.errors import DeviceError
from edge.devices.pad import SigningSession
from edge.devices.printer.document import Document
from edge.devices.printer.photo import photo_document
from edge.face.errors import FaceError
from edge.face.service import Consent
from edge.window import face_steps
from edge.window.parts import Draft, Offer, WindowParts
from edge.window.reprint import printer_back, record_failure
from edge.window.signatures import Purpose
from edge.workflow import documents
from edge.workflow import errors as e
from edge.workflow.materials import registry_materials
from edge.workflow.model import (
    Case,
    Close,
    Command,
    FaceCheck,
    Identify,
    Printed,
    Rate,
    Sign,
    SignatureRef,
)
from protocol.case import IdMethod
from protocol.catalog import Matter
from protocol.labels import DEVICE_LABELS

CAMERA, PAD = DEVICE_LABELS["camera"], DEVICE_LABELS["pad"]
REGISTRY_PENDING = "身份证号码尚待县级平台核验，无法查询信息一库，证明材料须申请人出示"

log = logging.getLogger("bianmin.edge.window")


class StepHost(Protocol):
    """What the steps need from the window that owns them."""

    @property
    def case(self) -> Case | None: ...

    @property
    def draft(self) -> Draft: ...

    def matter_of(self, case: Case) -> Matter: ...

    def running(self) -> RunningConfig: ...

    async def advance(self, *commands: Command) -> None:
        """Commit ``commands`` in order under the window's lock, then start the next step."""
        ...


def face_identity(
    draft: Draft, outcome: face_steps.FaceOutcome, *, clerk_confirmed: bool
) -> Identify:
    """The Identify command for a face match of the number in the draft."""
    assert outcome.distance is not None
    assert outcome.threshold is not None
    assert draft.id_ref is not None
    assert draft.id_masked is not None
    check = FaceCheck(
        distance=outcome.distance, threshold=outcome.threshold, reference="template",
        liveness=outcome.liveness, clerk_confirmed=clerk_confirmed,
    )  # fmt: skip
    return Identify(IdMethod.FACE, draft.id_ref, draft.id_masked, check)


class DeviceSteps:
    """Owned by one window; holds the signing session the kiosk draws live ink from."""

    def __init__(self, parts: WindowParts, host: StepHost) -> None:
        self.p = parts
        self.host = host
        self.signing: SigningSession | None = None
        self._signed = asyncio.Event()

    # The window replaces its draft on every state change: always read the current one.
    @property
    def draft(self) -> Draft:
        return self.host.draft

    def _consent(self, purpose: str) -> Consent:
        """The resident's face consent given on this case, for the face service's purpose."""
        case = self.host.case
        assert case is not None
        return Consent(purpose, str(case.case_id), case.updated_at)  # type: ignore[arg-type]

    async def face(self, template_id: str) -> None:
        face, camera = self.p.face, self.p.camera
        if face is None or camera is None:
            raise e.DeviceProblem("本终端未启用人脸识别")
        self.draft.face, self.draft.face_busy = None, True
        stop = self.draft.stop

        def prompt(text: str) -> None:
            self.draft.face_prompt = text

        try:
            outcome = await asyncio.to_thread(
                face_steps.verify_live, face, camera, template_id, self._consent("verify"),
                stop, prompt,
            )  # fmt: skip
        finally:
            self.draft.face_busy = False
        self.draft.face = outcome
        if outcome.error is None and outcome.match and outcome.liveness == "passed":
            await self.host.advance(face_identity(self.draft, outcome, clerk_confirmed=False))

    async def enroll(self, case: Case, ref: str) -> None:
        assert self.p.face is not None
        assert self.p.camera is not None
        self.draft.enroll = "busy"
        consent = Consent("enroll", str(case.case_id), self.p.clock())
        try:
            template = await asyncio.to_thread(
                face_steps.enroll, self.p.face, self.p.camera, consent, self.draft.stop
            )
        except FaceError as exc:
            self.draft.enroll = f"登记未成功：{exc}"
            return
        old = self.p.residents.link(
            ref, template, case.applicant.id_masked if case.applicant else None
        )
        if old is not None and old != template:
            with contextlib.suppress(FaceError):
                self.p.face.delete(old)
        self.draft.enroll = "done"

    async def search(self) -> None:
        """1:N: the liveness challenge, then the residents enrolled here ranked by distance.
        The candidates are offered to the clerk, who picks one or none: never automatic."""
        face, camera = self.p.face, self.p.camera
        if face is None or camera is None:
            raise e.DeviceProblem("本终端未启用人脸识别")
        d = self.draft
        d.offers, d.search_error, d.face_busy = None, None, True
        stop = self.draft.stop

        def prompt(text: str) -> None:
            d.face_prompt = text

        try:
            outcome = await asyncio.to_thread(
                face_steps.search_live, face, camera, self._consent("search"), stop, prompt
            )
        finally:
            d.face_busy = False
        d.search_liveness = outcome.liveness
        if outcome.result is None:
            d.search_error = outcome.error or "人脸查找未成功，请重试"
            d.offers = ()
            return
        r = outcome.result
        if r.no_match:
            # nobody enrolled here is within the threshold: "no match" is the answer, and the
            # nearest people are not offered (a clerk could confirm a stranger otherwise)
            d.offers = ()
            d.search_error = "本终端登记的居民中没有匹配的人脸，请输入身份证号码核验"
            return
        found = [(c, self.p.residents.resident_of(c.template_id)) for c in r.candidates]
        # a template nobody owns (or owned before masks were kept) cannot be confirmed here
        owned = [(c, who) for c, who in found if who is not None and who.id_masked]
        offers = []
        for i, (c, who) in enumerate(owned):
            assert who is not None
            assert who.id_masked is not None
            after = owned[i + 1][0].distance if i + 1 < len(owned) else None
            margin = round(after - c.distance, 4) if after is not None else None
            offers.append(
                Offer(i + 1, who.ref, who.id_masked, round(c.distance, 4), r.threshold, margin)
            )
        d.offers = tuple(offers)
        if not offers:
            d.search_error = "本终端登记的居民中未找到相近的人脸，请输入身份证号码核验"

    async def lookup(self) -> None:
        case = self.host.case
        assert case is not None
        assert case.applicant is not None
        asked = registry_materials(self.host.matter_of(case))
        if not asked:
            self.draft.registry, self.draft.registry_state = frozenset(), "answered"
            return
        if case.applicant.ref is None:  # no reference yet: the registry cannot be asked
            self.draft.registry, self.draft.registry_state = None, "unreachable"
            self.draft.registry_reason = REGISTRY_PENDING
            return
        self.draft.registry_state = "pending"
        found = await self.p.registry.lookup(case.applicant.ref, asked, case.case_id)
        self.draft.registry = found
        self.draft.registry_reason = self.p.registry.last_reason
        self.draft.registry_state = "unreachable" if found is None else "answered"

    async def sign(self) -> None:
        """Hold the pad until the clerk confirms the signature (``signed``)."""
        self._signed = asyncio.Event()
        try:
            async with self.p.devices.pad.signing() as session:
                self.signing = session
                await self._signed.wait()
        except DeviceError as exc:
            raise e.DeviceProblem(f"{PAD}不可用：{exc}") from None
        finally:
            self.signing = None

    def signature(self) -> Sign:
        """The signature on the pad as the case's Sign; its strokes stay on the unit."""
        ref = self.capture("signature")
        return Sign(ref.sha256, ref.strokes)

    def capture(self, purpose: Purpose) -> SignatureRef:
        """What is on the pad, archived encrypted with the case; its hash for the transition."""
        session = self.signing
        if session is None:
            raise e.DeviceProblem(f"{PAD}未就绪")
        try:
            sig = session.signature()
        except DeviceError as exc:
            raise e.DeviceProblem(f"{PAD}出错：{exc}") from None
        if sig.is_empty:
            raise e.WorkflowError(f"请申请人在{PAD}上签名")
        case = self.host.case
        assert case is not None
        sha = self.p.signatures.put(str(case.case_id), purpose, sig.canonical_bytes())
        return SignatureRef(sha, len(sig.strokes))

    def signed(self) -> None:
        """The Sign is committed: the signing step lets go of the pad."""
        self._signed.set()

    async def print_slips(self) -> None:
        case = self.host.case
        assert case is not None
        matter = self.host.matter_of(case)
        kinds = documents.slips_for(case, tuple(s.value for s in matter.slips))
        progress = self.p.store.progress()
        done = progress.setdefault(str(case.case_id), [])
        printer = self.p.devices.printer
        for kind in kinds:
            if kind in done or f"-{kind}" in done:
                continue
            self.draft.printing = kind
            try:
                if kind == documents.PHOTO:
                    doc = await self._photo_document(case)
                else:
                    calendar = self.host.running().work_calendar
                    doc = documents.document(
                        kind, case, self.p.info, self.p.clock(), calendar, matter
                    )
                await asyncio.to_thread(printer.print, doc)
            except (DeviceError, FaceError, e.DeviceProblem) as exc:
                text = exc.message_zh if isinstance(exc, e.WorkflowError) else str(exc)
                self.draft.print_error = f"{documents.SLIP_NAMES[kind]}打印失败：{text}"
                self.draft.printing = None
                await record_failure(self.p, case, kind, text)  # never silently lost
                if isinstance(exc, DeviceError) and await printer_back(printer, self.draft.stop):
                    self.draft.print_error = None  # the printer is back: print on by itself
                    self.draft.printer_back = True
                    return await self.print_slips()
                return
            done.append(kind)
            await self.p.store.save_progress(progress)
        self.draft.printing = None
        await self.host.advance(Printed(tuple(k for k in kinds if k in done)))

    async def _photo_document(self, case: Case) -> Document:
        face, camera = self.p.face, self.p.camera
        if face is None or camera is None:
            raise e.DeviceProblem(f"本终端未启用{CAMERA}，无法拍摄证件照")
        kind = case.photo or "1inch"
        try:
            image = await asyncio.to_thread(face_steps.id_photo, face, camera, kind)
        except FaceError as exc:
            raise e.DeviceProblem(f"拍摄证件照未成功（{exc}），请正对{CAMERA}后重试") from None
        return photo_document(image, kind, copies=2)  # type: ignore[arg-type]

    async def rate(self) -> None:
        timeout = self.host.running().rating_timeout_s
        self.draft.rating_waiting = True
        try:
            result = await self.p.devices.rating.collect(timeout)
        finally:
            self.draft.rating_waiting = False
        self.draft.rating = result
        if result.needs_reason:
            return  # the kiosk asks why; the rate_reason action finishes the case
        await self.host.advance(Rate(result.level), Close())
