"""The window: the open case, the clerk's actions from the kiosk (the ``ACTIONS`` table) and
the one device step (edge.window.steps) the case's state needs. Every transition goes through
the pure state machine and is committed (event + snapshot, one transaction) before the kiosk
sees it.

Nothing is done to a case without a signed-in clerk when the unit has a clerk roster
(edge.window.clerks); a unit without one opens no case and says why. The clerk acting is in
every transition's context; a device step (the pad, the printer, the rating keys) acts for
the case's own clerk.

After a restart `start()` reloads the open case and restarts the device step of its state:
the pad is grabbed again for a case waiting for its signature, unprinted slips print, the
rating device asks again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from edge.config.applier import RunningConfig
from edge.config.contents import usable_blacklist
from edge.window.card import CardActions
from edge.window.clerks import NO_ROSTER, ClerkDesk
from edge.window.identify import IdentifyActions
from edge.window.parts import Draft, WindowParts
from edge.window.recovery import RecoveryActions
from edge.window.reprint import ReprintActions
from edge.window.steps import DeviceSteps
from edge.window.switch import Hardware, HardwareSwitch
from edge.window.task import StepTask
from edge.window.tracking import new_status_token
from edge.workflow import documents
from edge.workflow import errors as e
from edge.workflow.machine import Context, Step, case_matter, step
from edge.workflow.model import (
    Accept,
    Cancel,
    Case,
    CheckMaterials,
    Close,
    Command,
    Decline,
    GiveConsent,
    Open,
    PhotoKind,
    Rate,
    Route,
    SelectMatter,
)
from protocol.case import CaseState
from protocol.catalog import Matter
from protocol.clerks import ClerkRoster
from protocol.ids import uuid7
from protocol.labels import DEVICE_LABELS
from protocol.messages import DeviceStatus

log = logging.getLogger("bianmin.edge.window")
S = CaseState
# what the kiosk may do with nobody signed in
WITHOUT_CLERK = frozenset({"sign_in", "sign_out", "next"})


class Window(IdentifyActions, CardActions, RecoveryActions, ReprintActions):
    """One window's open case, and what the clerk (``ACTIONS``) and its devices do to it."""

    def __init__(self, parts: WindowParts) -> None:
        self.p = parts
        self.case: Case | None = None
        self.last_closed: Case | None = None
        self.draft = Draft()
        self.message: dict[str, str] | None = None
        self.steps = DeviceSteps(parts, self)
        self.clerks = ClerkDesk(self._roster, parts.store.event_log, parts.clock)
        self._lock = asyncio.Lock()
        self._status: dict[str, DeviceStatus] = {}
        self._status_at = 0.0
        self._switch = HardwareSwitch(parts, lambda: self._step.busy, self._forget_status)
        self._step = StepTask(self._step_failed, self._switch.when_idle, self._switch.ready)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self.case = self.p.store.load()
        if self.case is not None:
            log.info("resuming case %s in state %s", self.case.case_ref, self.case.state)
        await self.p.devices.start()
        self._resume()

    async def close(self) -> None:
        async with self._lock:  # let a commit in progress finish before the event log closes
            await self._stop_task()
        await self._switch.close()
        await self.p.devices.close()
        if self.p.camera is not None:
            self.p.camera.close()

    def _forget_status(self) -> None:
        self._status = {}  # the device bar shows new devices at once

    def busy(self) -> str | None:
        """Why the unit must not restart now (a software update waits for idle, edge.update):
        the case open at the window; None when no case is open."""
        if self.case is None:
            return None
        return f"case_open: case {self.case.case_ref} is open at the window ({self.case.state})"

    async def replace_hardware(self, new: Hardware) -> None:
        """Use a new configuration's devices, camera or face service, at once when no device
        step runs, else as soon as the running one ends (edge.window.switch)."""
        self._switch.offer(new)

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
                else DeviceStatus.report(
                    present=False, ok=False, detail=f"未配置{DEVICE_LABELS['camera']}"
                )
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
        """The matters the running configuration offers for a new selection."""
        return {m.code: m for m in self.running().catalog.matters}

    def _roster(self) -> ClerkRoster | None:
        cfg = self.p.config()
        return cfg.body.clerks if cfg is not None else None

    def matter_of(self, case: Case) -> Matter:
        """The case's matter as it was selected, whatever configuration was applied since."""
        return case_matter(case, self.matters())

    def blacklist(self) -> frozenset[str] | None:
        """The running blacklist if it is of the unit's reference generation (else None: no
        green channel until both are re-keyed, edge.config.contents.usable_blacklist)."""
        return usable_blacklist(self.running().blacklist, self.p.residents.generation())

    def context(self, *, by_clerk: bool = True) -> Context:
        """Everything a step needs from the running configuration, read at each step: a newly
        applied configuration (catalog, calendar, blacklist, thresholds, the clerk roster)
        counts from the next step on; the open case keeps the matter it selected. ``by_clerk``
        False for a device's step, which acts for the case's clerk, not whoever is signed in."""
        cfg = self.running()
        return Context(
            unit=self.p.unit,
            now=self.p.clock(),
            matters=self.matters(),
            calendar=cfg.work_calendar,
            blacklist=usable_blacklist(cfg.blacklist, self.p.residents.generation()),
            deferred_days=cfg.thresholds.deferred_material_days,
            calendar_source=cfg.calendar_source,
            clerk=self.clerks.current() if by_clerk else None,
        )

    async def _commit(self, cmd: Command, *, by_clerk: bool = True) -> Step:
        """The one way a case moves on: step, commit, and only then adopt the new case."""
        # Called only under self._lock, and no task is cancelled while it holds the lock
        # (close() takes it too), so a commit awaited off the loop is never half adopted.
        ctx = self.context(by_clerk=by_clerk)
        done = step(self.case, cmd, ctx)
        await self.p.store.commit(done, ctx.now)  # durable before anyone is told
        if done.case.closed:
            self.case, self.last_closed = None, done.case
        else:
            self.case = done.case
        self.message = None
        return done

    async def advance(self, *commands: Command) -> None:
        """A device step's transitions, in order, then the step of the state they lead to."""
        async with self._lock:
            for command in commands:
                await self._commit(command, by_clerk=False)
            self._resume()

    # -- the kiosk's actions ----------------------------------------------------------------

    async def act(self, name: str, args: dict[str, Any]) -> None:
        """Run the kiosk's action ``name``; a new state starts the device step it needs."""
        action = ACTIONS.get(name)
        if action is None:
            raise e.WorkflowError("未知操作", f"unknown action {name!r}")
        if name not in WITHOUT_CLERK:
            self._check_clerk(name)
        async with self._lock:
            before = self.case.state if self.case else None
            await action(self, args)
            after = self.case.state if self.case else None
            if after != before:
                self._resume()

    def _check_clerk(self, name: str) -> None:
        """A signed-in clerk, when the unit has a roster; without one, no case opens."""
        if self.clerks.roster() is None:
            if name == "open":
                raise e.NoRoster(NO_ROSTER)
            return  # a case resumed from before the roster arrived may still be finished
        if self.clerks.current() is None:
            raise e.SignInRequired("请窗口工作人员先登录")
        self.clerks.touch()

    def require_clerk(self) -> None:
        """For a kiosk route beside the case (edge/kiosk/followup.py): the same rule as the
        actions, SignInRequired when the unit has a roster and nobody is signed in."""
        self._check_clerk("followup")

    async def _do_sign_in(self, args: dict[str, Any]) -> None:
        await self.clerks.sign_in(str(args.get("clerk", "")), str(args.get("pin", "")))
        self.message = None

    async def _do_sign_out(self, args: dict[str, Any]) -> None:
        self.clerks.sign_out()

    async def _do_open(self, args: dict[str, Any]) -> None:
        cfg = self.running()
        # no case is open: the moment the unit may take the generation of the blacklist the
        # hub signed (a unit provisioned after a rotation, or one whose rekey_references
        # expired); links not moved yet are not offered until their pairs come
        listed = getattr(cfg.blacklist, "generation", 1)
        if listed > 1:
            await asyncio.to_thread(self.p.residents.adopt, listed)
        await self._commit(Open(uuid7(), status_token=new_status_token()))
        self.last_closed = None

    async def _do_consent(self, args: dict[str, Any]) -> None:
        face = bool(args.get("face"))
        if face and (self.p.face is None or self.p.camera is None):
            raise e.DeviceProblem("本终端未启用人脸核验，请核验身份证原件")
        if self.case is None or self.case.agent is None:
            await self._commit(GiveConsent(face=face))
            return
        # 代办: the resident's 委托授权 on the pad goes with the consent, archived with the case
        await self._commit(GiveConsent(face, self.steps.capture("authorization")))
        self.steps.signed()
        await self._step.finish(timeout=5)  # the signing step lets go of the pad itself

    async def _do_select_matter(self, args: dict[str, Any]) -> None:
        await self._commit(SelectMatter(str(args.get("code", ""))))

    async def _do_materials(self, args: dict[str, Any]) -> None:
        """Record the checklist, then accept, accept with deficiencies, or decline."""
        received = frozenset(str(x) for x in args.get("received", []))
        shown = frozenset(str(x) for x in args.get("shown", []))
        photo = args.get("photo")
        size: PhotoKind | None = "2inch" if photo == "2inch" else "1inch" if photo else None
        await self._commit(CheckMaterials(received, shown, self.draft.registry, size))
        decision = args.get("decision")
        if decision == "decline":
            await self._commit(Decline())
        elif decision in ("accept", "defer"):
            await self._commit(Accept(defer=decision == "defer"))

    async def _do_sign_clear(self, args: dict[str, Any]) -> None:
        if self.steps.signing is not None:
            self.steps.signing.clear()

    async def _do_sign_confirm(self, args: dict[str, Any]) -> None:
        await self._commit(self.steps.signature())
        self.steps.signed()
        # let the signing step release the pad itself: cancelling it mid-exit could skip the
        # ungrab and leave the pad grabbed
        await self._step.finish(timeout=5)

    async def _do_route(self, args: dict[str, Any]) -> None:
        await self._commit(Route())

    async def _do_print_retry(self, args: dict[str, Any]) -> None:
        if self.case is not None and self.case.state in (S.APPROVED, S.FORWARDED, S.NOT_ACCEPTED):
            self.draft.print_error = None
            self._forget_status()  # the device bar shows the printer as it is now
            self._start(self.steps.print_slips)

    async def _do_print_skip_photo(self, args: dict[str, Any]) -> None:
        if self.case is None:
            return
        progress = self.p.store.progress()
        done = progress.setdefault(str(self.case.case_id), [])
        done.append(f"-{documents.PHOTO}")  # skipped, on the clerk's word
        await self.p.store.save_progress(progress)
        await self._do_print_retry(args)

    async def _do_rate_reason(self, args: dict[str, Any]) -> None:
        result = self.draft.rating
        if result is None:
            raise e.WrongState("没有待补充原因的评价")
        await self._commit(Rate(result.level, str(args.get("reason", ""))))
        await self._commit(Close())

    async def _do_cancel(self, args: dict[str, Any]) -> None:
        reason = str(args.get("reason", "")).strip()
        if not reason:
            raise e.ReasonRequired("请选择取消办件的原因")
        await self._stop_task()
        await self._commit(Cancel(reason))

    async def _do_next(self, args: dict[str, Any]) -> None:
        self.last_closed = None

    # -- the background task of the case's state -------------------------------------------

    def _resume(self) -> None:
        """Start the device step the case's state needs (also after a restart), on the new
        configuration's devices when some are waiting."""
        self._step.cancel()
        self.draft.stop.set()
        self._switch.when_idle()
        keep = self.draft if self.case is not None else Draft()
        self.draft = Draft(
            id_ref=keep.id_ref, id_masked=keep.id_masked, id_pending=keep.id_pending, mode=keep.mode
        )
        if self.case is not None and self.case.state not in (S.OPENED, S.CONSENTED):
            self.draft.mode = "number"
        if self.case is not None and self.case.state is S.IDENTIFIED:
            self.draft.enroll = keep.enroll
        state = self.case.state if self.case else None
        if state is S.MATERIALS_CHECKED and keep.registry_state in ("answered", "unreachable"):
            self.draft.registry, self.draft.registry_state = keep.registry, keep.registry_state
            self.draft.registry_reason = keep.registry_reason
        elif state in (S.MATTER_SELECTED, S.MATERIALS_CHECKED):
            self._start(self.steps.lookup)
        elif state in (S.ACCEPTED, S.DEFICIENCY_ACCEPTED):
            self._start(self.steps.sign)
        elif state is S.OPENED and self.case is not None and self.case.agent is not None:
            self._start(self.steps.sign)  # the resident's 委托授权, before identification
        elif state in (S.APPROVED, S.FORWARDED, S.NOT_ACCEPTED):
            self._start(self.steps.print_slips)
        elif state is S.PRINTED:
            self._start(self.steps.rate)

    def _start(self, step: Callable[[], Awaitable[None]]) -> None:
        self.draft.stop = threading.Event()
        self._step.start(step)

    async def _stop_task(self) -> None:
        self.draft.stop.set()
        await self._step.stop()

    def _step_failed(self, text: str) -> None:
        self.message = {"kind": "error", "text": text}


Action = Callable[[Window, dict[str, Any]], Awaitable[None]]
# Everything the kiosk page can ask of the window (edge/kiosk/static/kiosk.js posts these
# names to /api/act/{name}); any other name is refused.
ACTIONS: Final[Mapping[str, Action]] = MappingProxyType(
    {
        "sign_in": Window._do_sign_in,
        "sign_out": Window._do_sign_out,
        "open": Window._do_open,
        "consent": Window._do_consent,
        "id_number": Window._do_id_number,
        "face_retry": Window._do_face_retry,
        "face_confirm_presence": Window._do_face_confirm_presence,
        "use_card": Window._do_use_card,
        "card_checked": Window._do_card_checked,
        "card_read": Window._do_card_read,
        "card_confirm_presence": Window._do_card_confirm_presence,
        "enroll": Window._do_enroll,
        "face_search": Window._do_face_search,
        "face_pick": Window._do_face_pick,
        "face_none": Window._do_face_none,
        "select_matter": Window._do_select_matter,
        "materials": Window._do_materials,
        "sign_clear": Window._do_sign_clear,
        "sign_confirm": Window._do_sign_confirm,
        "route": Window._do_route,
        "print_retry": Window._do_print_retry,
        "print_skip_photo": Window._do_print_skip_photo,
        "rate_reason": Window._do_rate_reason,
        "cancel": Window._do_cancel,
        "back": Window._do_back,
        "edit_number": Window._do_edit_number,
        "refuse_sign": Window._do_refuse_sign,
        "reprint": Window._do_reprint,
        "next": Window._do_next,
    }
)
