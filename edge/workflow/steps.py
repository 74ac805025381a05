"""The window's device steps: face verification and enrollment, the registry lookup, the
signature, printing and the rating. Each runs as the window's one background task for the
case's state and commits its transition through the window when it is done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from edge.config.applier import RunningConfig
from edge.devices.errors import DeviceError
from edge.devices.pad import SigningSession
from edge.devices.printer.photo import photo_document
from edge.face.errors import FaceError
from edge.face.service import Consent
from edge.workflow import documents, face_steps
from edge.workflow import errors as e
from edge.workflow.machine import Step
from edge.workflow.materials import registry_materials
from edge.workflow.model import Case, Close, Command, FaceCheck, Identify, Printed, Rate
from edge.workflow.parts import Draft, WindowParts
from protocol.case import IdMethod
from protocol.catalog import Matter

log = logging.getLogger("bianmin.edge.window")


class DeviceSteps:
    """Mixed into Window, which provides the state and the commit below."""

    p: WindowParts
    case: Case | None
    draft: Draft
    signing: SigningSession | None
    _signed: asyncio.Event
    _lock: asyncio.Lock
    _task: asyncio.Task[None] | None

    async def _commit(self, cmd: Command) -> Step:
        raise NotImplementedError

    def matters(self) -> dict[str, Matter]:
        raise NotImplementedError

    def running(self) -> RunningConfig:
        raise NotImplementedError

    def _resume(self) -> None:
        raise NotImplementedError

    def _start(self, coro: Any) -> None:
        raise NotImplementedError

    def _consent(self, purpose: str) -> Consent:
        assert self.case is not None
        return Consent(purpose, str(self.case.case_id), self.case.updated_at)  # type: ignore[arg-type]

    async def _face(self, template_id: str) -> None:
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
            async with self._lock:
                await self._identify_face(outcome, clerk_confirmed=False)
                self._resume()

    async def _identify_face(
        self, outcome: face_steps.FaceOutcome, *, clerk_confirmed: bool
    ) -> None:
        assert outcome.distance is not None
        assert outcome.threshold is not None
        assert self.draft.id_ref is not None
        assert self.draft.id_masked is not None
        check = FaceCheck(
            distance=outcome.distance, threshold=outcome.threshold, reference="template",
            liveness=outcome.liveness, clerk_confirmed=clerk_confirmed,
        )  # fmt: skip
        await self._commit(Identify(IdMethod.FACE, self.draft.id_ref, self.draft.id_masked, check))

    async def _enroll(self, case: Case, ref: str) -> None:
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
        old = self.p.residents.link(ref, template)
        if old is not None and old != template:
            with contextlib.suppress(FaceError):
                self.p.face.delete(old)
        self.draft.enroll = "done"

    async def _lookup(self) -> None:
        case = self.case
        assert case is not None
        assert case.applicant is not None
        assert case.matter_code
        asked = registry_materials(self.matters()[case.matter_code])
        if not asked:
            self.draft.registry, self.draft.registry_state = frozenset(), "answered"
            return
        self.draft.registry_state = "pending"
        found = await self.p.registry.lookup(case.applicant.ref, asked)
        self.draft.registry = found
        self.draft.registry_state = "unreachable" if found is None else "answered"

    async def _sign(self) -> None:
        self._signed = asyncio.Event()
        try:
            async with self.p.devices.pad.signing() as session:
                self.signing = session
                await self._signed.wait()
        except DeviceError as exc:
            raise e.DeviceProblem(f"签字板不可用：{exc}") from None
        finally:
            self.signing = None

    async def _print(self) -> None:
        case = self.case
        assert case is not None
        assert case.matter_code is not None
        matter = self.matters()[case.matter_code]
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
                    doc = documents.document(
                        kind, case, self.p.info, self.p.clock(), self.p.calendar
                    )
                await asyncio.to_thread(printer.print, doc)
            except (DeviceError, FaceError, e.DeviceProblem) as exc:
                text = exc.message_zh if isinstance(exc, e.WorkflowError) else str(exc)
                self.draft.print_error = f"{documents.SLIP_NAMES[kind]}打印失败：{text}"
                self.draft.printing = None
                return
            done.append(kind)
            await self.p.store.save_progress(progress)
        self.draft.printing = None
        printed = tuple(k for k in kinds if k in done)
        async with self._lock:
            await self._commit(Printed(printed))
            self._resume()

    async def _photo_document(self, case: Case) -> Any:
        face, camera = self.p.face, self.p.camera
        if face is None or camera is None:
            raise e.DeviceProblem("本终端未启用摄像头，无法拍摄证件照")
        kind = case.photo or "1inch"
        try:
            image = await asyncio.to_thread(face_steps.id_photo, face, camera, kind)
        except FaceError as exc:
            raise e.DeviceProblem(f"拍摄证件照未成功（{exc}），请正对摄像头后重试") from None
        return photo_document(image, kind, copies=2)  # type: ignore[arg-type]

    async def _rate(self) -> None:
        timeout = self.running().rating_timeout_s
        self.draft.rating_waiting = True
        try:
            result = await self.p.devices.rating.collect(timeout)
        finally:
            self.draft.rating_waiting = False
        self.draft.rating = result
        if result.needs_reason:
            return  # the kiosk asks why; _do_rate_reason finishes the case
        async with self._lock:
            await self._commit(Rate(result.level))
            await self._commit(Close())
            self._resume()
