"""The window: the open case, the clerk's actions from the kiosk, and the device steps (face,
signature, printing, rating) that move the case on. Every transition goes through the pure
state machine and is committed (event + snapshot, one transaction) before the kiosk sees it.

After a restart `start()` reloads the open case and restarts the device step of its state:
the pad is grabbed again for a case waiting for its signature, unprinted slips print, the
rating device asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.config.applier import RunningConfig
from edge.devices.bundle import Devices
from edge.devices.errors import DeviceError
from edge.devices.pad import SigningSession
from edge.devices.printer.photo import photo_document
from edge.devices.rating import RatingResult
from edge.face.errors import FaceError
from edge.face.service import Consent, FaceService
from edge.workflow import documents, face_steps
from edge.workflow import errors as e
from edge.workflow.calendar import WorkCalendar
from edge.workflow.documents import WindowInfo
from edge.workflow.face_steps import CameraDevice
from edge.workflow.machine import Context, Step, step
from edge.workflow.materials import registry_materials
from edge.workflow.model import (
    Accept,
    Cancel,
    Case,
    CheckMaterials,
    Close,
    Command,
    Decline,
    FaceCheck,
    GiveConsent,
    Identify,
    Open,
    Printed,
    Rate,
    Route,
    SelectMatter,
    Sign,
)
from edge.workflow.registry import RegistryClient
from edge.workflow.residents import ResidentFaces
from edge.workflow.store import CaseStore
from protocol import identity
from protocol.case import CaseState, IdMethod
from protocol.catalog import Matter
from protocol.ids import uuid7
from protocol.messages import DeviceStatus

log = logging.getLogger("bianmin.edge.window")
S = CaseState


@dataclass
class Draft:
    """What the kiosk shows between transitions; lost on restart, on purpose (re-entered)."""

    id_ref: str | None = None
    id_masked: str | None = None
    mode: str = "number"  # identify: number -> face | card
    face_prompt: str = ""
    face_busy: bool = False
    face: face_steps.FaceOutcome | None = None
    enroll: str = ""  # "", "busy", "done", or an error message
    registry: frozenset[str] | None = None
    registry_state: str = ""  # "", "pending", "answered", "unreachable"
    print_error: str | None = None
    printing: str | None = None
    rating: RatingResult | None = None
    rating_waiting: bool = False
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class WindowParts:
    unit: str
    store: CaseStore
    config: Callable[[], RunningConfig | None]
    devices: Devices
    camera: CameraDevice | None
    face: FaceService | None
    residents: ResidentFaces
    registry: RegistryClient
    id_key: bytes
    info: WindowInfo
    data_dir: Path
    calendar: WorkCalendar = field(default_factory=WorkCalendar.china)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


class Window:
    def __init__(self, parts: WindowParts) -> None:
        self.p = parts
        self.case: Case | None = None
        self.last_closed: Case | None = None
        self.draft = Draft()
        self.message: dict[str, str] | None = None
        self.signing: SigningSession | None = None
        self._signed = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._status: dict[str, DeviceStatus] = {}
        self._status_at = 0.0

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self.case = self.p.store.load()
        if self.case is not None:
            log.info("resuming case %s in state %s", self.case.case_ref, self.case.state)
        await self.p.devices.start()
        self._resume()

    async def close(self) -> None:
        await self._stop_task()
        await self.p.devices.close()
        if self.p.camera is not None:
            self.p.camera.close()

    # -- device status -----------------------------------------------------------------------

    async def device_status(self, max_age_s: float = 2.0) -> dict[str, DeviceStatus]:
        """Cached briefly: the kiosk polls often and a printer status is three round trips."""
        now = asyncio.get_running_loop().time()
        if not self._status or now - self._status_at > max_age_s:
            status = await self.p.devices.health()
            cam = self.p.camera
            status["camera"] = (
                cam.status()
                if cam
                else DeviceStatus(present=False, ok=False, detail="未配置摄像头")
            )
            self._status, self._status_at = status, now
        return dict(self._status)

    # -- context and commits -----------------------------------------------------------------

    def running(self) -> RunningConfig:
        cfg = self.p.config()
        if cfg is None:
            raise e.NoConfiguration("终端尚未收到县中心下发的事项配置，请稍候")
        return cfg

    def matters(self) -> dict[str, Matter]:
        return {m.code: m for m in self.running().catalog.matters}

    def context(self) -> Context:
        cfg = self.running()
        return Context(
            unit=self.p.unit,
            now=self.p.clock(),
            matters=self.matters(),
            calendar=self.p.calendar,
            blacklist=cfg.blacklist,
            deferred_days=cfg.thresholds.deferred_material_days,
        )

    def _commit(self, cmd: Command) -> Step:
        ctx = self.context()
        done = step(self.case, cmd, ctx)
        self.p.store.commit(done, ctx.now)  # durable before anyone is told
        if done.case.closed:
            self.case, self.last_closed = None, done.case
        else:
            self.case = done.case
        self.message = None
        return done

    # -- the kiosk's actions ----------------------------------------------------------------

    async def act(self, name: str, args: dict[str, Any]) -> None:
        handler = getattr(self, f"_do_{name}", None)
        if handler is None:
            raise e.WorkflowError("未知操作", f"unknown action {name!r}")
        async with self._lock:
            before = self.case.state if self.case else None
            await handler(args)
            after = self.case.state if self.case else None
            if after != before:
                self._resume()

    async def _do_open(self, args: dict[str, Any]) -> None:
        self.running()
        self._commit(Open(uuid7()))
        self.last_closed = None

    async def _do_consent(self, args: dict[str, Any]) -> None:
        self._commit(GiveConsent(face=bool(args.get("face"))))

    async def _do_id_number(self, args: dict[str, Any]) -> None:
        try:
            number = identity.validate(str(args.get("number", "")))
        except identity.InvalidIdNumber as exc:
            raise e.InvalidIdNumber(str(exc)) from None
        self.draft.id_ref = identity.reference(number, self.p.id_key)
        self.draft.id_masked = identity.mask(number)
        del number
        assert self.case is not None
        face_ok = self.case.face_consent and self.p.face is not None
        template = self.p.residents.template_for(self.draft.id_ref) if face_ok else None
        if template is None:
            self.draft.mode = "card"
            if face_ok:
                self.message = {"kind": "info", "text": "该申请人尚未登记人脸，请核验身份证原件"}
            return
        self.draft.mode = "face"
        self._start(self._face(template))

    async def _do_face_retry(self, args: dict[str, Any]) -> None:
        ref = self.draft.id_ref
        template = self.p.residents.template_for(ref) if ref else None
        if template is None or self.draft.face_busy:
            return
        self._start(self._face(template))

    async def _do_face_confirm_presence(self, args: dict[str, Any]) -> None:
        """The challenge failed but the face matched: the clerk, seeing the resident, vouches."""
        outcome = self.draft.face
        if outcome is None or not outcome.match:
            raise e.IdentityRejected("人脸比对未通过，不能人工确认")
        self._identify_face(outcome, clerk_confirmed=True)

    async def _do_use_card(self, args: dict[str, Any]) -> None:
        await self._stop_task()
        self.draft.mode = "card" if self.draft.id_ref else "number"
        self.draft.face = None

    async def _do_card_checked(self, args: dict[str, Any]) -> None:
        method = IdMethod.CLERK_CHECK if args.get("method") == "clerk_check" else IdMethod.ID_CARD
        if self.draft.id_ref is None or self.draft.id_masked is None:
            raise e.IdentityRejected("请先输入身份证号码")
        self._commit(Identify(method, self.draft.id_ref, self.draft.id_masked))

    async def _do_enroll(self, args: dict[str, Any]) -> None:
        """登记人脸: only with the resident's own, separate consent to enrollment."""
        if not args.get("consent"):
            raise e.ConsentMissing("登记人脸须申请人另行单独同意")
        if self.p.face is None or self.p.camera is None:
            raise e.DeviceProblem("本终端未启用人脸识别")
        case = self.case
        if case is None or case.applicant is None:
            raise e.WrongState("请先核验身份")
        self._start(self._enroll(case, case.applicant.ref))

    async def _do_select_matter(self, args: dict[str, Any]) -> None:
        self._commit(SelectMatter(str(args.get("code", ""))))

    async def _do_materials(self, args: dict[str, Any]) -> None:
        """Record the checklist, then accept, accept with deficiencies, or decline."""
        received = frozenset(str(x) for x in args.get("received", []))
        shown = frozenset(str(x) for x in args.get("shown", []))
        self._commit(CheckMaterials(received, shown, self.draft.registry))
        decision = args.get("decision")
        if decision == "decline":
            self._commit(Decline())
        elif decision in ("accept", "defer"):
            self._commit(Accept(defer=decision == "defer"))

    async def _do_sign_clear(self, args: dict[str, Any]) -> None:
        if self.signing is not None:
            self.signing.clear()

    async def _do_sign_confirm(self, args: dict[str, Any]) -> None:
        session = self.signing
        if session is None:
            raise e.DeviceProblem("签字板未就绪")
        try:
            sig = session.signature()
        except DeviceError as exc:
            raise e.DeviceProblem(f"签字板出错：{exc}") from None
        if sig.is_empty:
            raise e.WorkflowError("请申请人在签字板上签名")
        assert self.case is not None
        folder = self.p.data_dir / "signatures"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.case.case_id}.json").write_bytes(sig.canonical_bytes())
        self._commit(Sign(sig.sha256, len(sig.strokes)))
        self._signed.set()
        # let the signing step release the pad itself: cancelling it mid-exit could skip the
        # ungrab and leave the pad grabbed
        if self._task is not None:
            await asyncio.wait([self._task], timeout=5)

    async def _do_route(self, args: dict[str, Any]) -> None:
        self._commit(Route())

    async def _do_print_retry(self, args: dict[str, Any]) -> None:
        if self.case is not None and self.case.state in (S.APPROVED, S.FORWARDED):
            self.draft.print_error = None
            self._start(self._print())

    async def _do_print_skip_photo(self, args: dict[str, Any]) -> None:
        if self.case is None:
            return
        progress = self.p.store.progress()
        done = progress.setdefault(str(self.case.case_id), [])
        done.append(f"-{documents.PHOTO}")  # skipped, on the clerk's word
        self.p.store.save_progress(progress)
        await self._do_print_retry(args)

    async def _do_rate_reason(self, args: dict[str, Any]) -> None:
        result = self.draft.rating
        if result is None:
            raise e.WrongState("没有待补充原因的评价")
        self._commit(Rate(result.level, str(args.get("reason", ""))))
        self._commit(Close())

    async def _do_cancel(self, args: dict[str, Any]) -> None:
        await self._stop_task()
        self._commit(Cancel(str(args.get("reason", "工作人员取消"))))

    async def _do_next(self, args: dict[str, Any]) -> None:
        self.last_closed = None

    # -- device steps -----------------------------------------------------------------------

    def _resume(self) -> None:
        """Start the device step the case's state needs (also after a restart)."""
        old = self._task
        self._task = None
        if old is not None and not old.done():
            old.cancel()
        self.draft.stop.set()
        keep = self.draft if self.case is not None else Draft()
        self.draft = Draft(id_ref=keep.id_ref, id_masked=keep.id_masked, mode=keep.mode)
        if self.case is not None and self.case.state not in (S.OPENED, S.CONSENTED):
            self.draft.mode = "number"
        if self.case is not None and self.case.state is S.IDENTIFIED:
            self.draft.enroll = keep.enroll
        state = self.case.state if self.case else None
        if state is S.MATERIALS_CHECKED and keep.registry_state in ("answered", "unreachable"):
            self.draft.registry, self.draft.registry_state = keep.registry, keep.registry_state
        elif state in (S.MATTER_SELECTED, S.MATERIALS_CHECKED):
            self._start(self._lookup())
        elif state in (S.ACCEPTED, S.DEFICIENCY_ACCEPTED):
            self._start(self._sign())
        elif state in (S.APPROVED, S.FORWARDED):
            self._start(self._print())
        elif state in (S.PRINTED, S.NOT_ACCEPTED):
            self._start(self._rate())

    def _start(self, coro: Awaitable[None]) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.draft.stop = threading.Event()
        self._task = asyncio.ensure_future(self._guard(coro))

    async def _guard(self, coro: Awaitable[None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except e.WorkflowError as exc:
            self.message = {"kind": "error", "text": exc.message_zh}
        except Exception:  # a device step must never take the window down
            log.exception("window step failed")
            self.message = {"kind": "error", "text": "设备操作出错，请重试或联系运维"}

    async def _stop_task(self) -> None:
        self.draft.stop.set()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

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
                self._identify_face(outcome, clerk_confirmed=False)
                self._resume()

    def _identify_face(self, outcome: face_steps.FaceOutcome, *, clerk_confirmed: bool) -> None:
        assert outcome.distance is not None
        assert outcome.threshold is not None
        assert self.draft.id_ref is not None
        assert self.draft.id_masked is not None
        check = FaceCheck(
            distance=outcome.distance, threshold=outcome.threshold, reference="template",
            liveness=outcome.liveness, clerk_confirmed=clerk_confirmed,
        )  # fmt: skip
        self._commit(Identify(IdMethod.FACE, self.draft.id_ref, self.draft.id_masked, check))

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
            self.p.store.save_progress(progress)
        self.draft.printing = None
        printed = tuple(k for k in kinds if k in done)
        async with self._lock:
            self._commit(Printed(printed))
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
            self._commit(Rate(result.level))
            self._commit(Close())
            self._resume()

    def progress_json(self) -> str:
        return json.dumps(self.p.store.progress(), ensure_ascii=False)
