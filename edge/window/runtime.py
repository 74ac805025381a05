"""Building the window on a unit: devices, camera and keys from the unit's kit (edge.kit), the
face service, the registry client; then serving the kiosk page, and putting every newly applied
configuration into effect without a restart.

What a configuration carries takes effect as follows, none of it needing a restart:

- catalog slice, working-day calendar, blacklist, 容缺 days, rating timeout: read from the
  running configuration at each step of a case (``Window.context``), so from the next step on;
  an open case keeps the matter definition it selected;
- face thresholds and quality gates: retuned in place on the face service at once;
- the hardware profile's devices, camera and face models: built again only for the parts whose
  settings changed, and switched in between two device steps (edge.window.switch);
- the heartbeat period: read by the heartbeat at each beat (edge.agent).

Kept apart from the workflow so that the 76-unit demo fleet, which has no window, never loads
any of it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from edge.config import ConfigApplier
from edge.config.applier import RunningConfig
from edge.config.contents import usable_blacklist
from edge.devices.printer.slips import Window as SlipWindow
from edge.kit import UnitKit
from edge.settings import EdgeSettings
from edge.window import pending
from edge.window.parts import WindowParts
from edge.window.references import ReferenceClient
from edge.window.registry import RegistryClient
from edge.window.residents import ResidentFaces
from edge.window.signatures import SignatureArchive, archive_key
from edge.window.store import CaseStore
from edge.window.switch import Hardware
from edge.window.tracking import status_base
from edge.window.village import window_name
from edge.window.window import Window
from edge.workflow.documents import WindowInfo
from firmware_config.schema import HardwareProfile
from protocol.messages import DeviceStatus

if TYPE_CHECKING:
    from edge.eventlog import EventLog
    from edge.face.service import FaceService, LocalFaceService
    from edge.notices.desk import NoticeDesk
    from edge.notices.inbox import NoticeInbox

log = logging.getLogger("bianmin.edge.window")


class WindowRuntime:
    """Owns the window, its devices and the kiosk web server for one unit."""

    def __init__(
        self,
        settings: EdgeSettings,
        event_log: EventLog,
        config: ConfigApplier,
        kit: UnitKit,
        *,
        notices: NoticeInbox | None = None,
    ) -> None:
        self.settings = settings
        self.notices = notices
        self.event_log = event_log
        self.config = config
        self.kit = kit
        self.window: Window | None = None
        self.kiosk_url: str | None = None
        self._server: Any = None
        self._built: HardwareProfile | None = None  # the profile the hardware was built from
        self._face: LocalFaceService | None = None
        self._template_key = b""
        self._resolver: asyncio.Task[None] | None = None  # late ID references (pending)
        self._applied = asyncio.Event()  # a configuration was applied since the last look
        self.in_effect: int | None = None  # the configuration version the window runs on
        config.listeners.append(lambda _running: self._applied.set())

    def busy(self) -> str | None:
        """Why the unit must not restart now: a case open at the window (a software update
        waits for idle: edge.update), or None."""
        return self.window.busy() if self.window is not None else None

    async def device_status(self) -> dict[str, DeviceStatus]:
        if self.window is None:
            return {}
        return await self.window.device_status(max_age_s=3.0)

    async def run(self) -> None:
        profile = await self._profile()
        self.window = await self._build(profile)
        await self.window.start()
        self._resolver = asyncio.create_task(self._resolve_pending(), name="late-references")
        await self._serve()
        self._applied.set()  # the configuration applied while the window was built, if any
        while True:  # and every one applied from now on, without a restart
            await self._applied.wait()
            self._applied.clear()
            await self._follow()

    async def _resolve_pending(self, every_s: float = 30.0) -> None:
        """Cases identified while the hub was away get their references once it answers
        (edge.window.pending); checked every ``every_s``, a failure waits for the next round."""
        while True:
            window = self.window
            client = window.p.references if window is not None else None
            ready = client is not None and client.configured
            if window is not None and client is not None and ready and pending.pending(window.p):
                try:
                    await pending.resolve(
                        window.p, client, self._blacklist,
                        window.p.clock,
                    )  # fmt: skip
                except Exception:  # never takes the unit down; the next round tries again
                    log.exception("late ID references failed")
            await asyncio.sleep(every_s)

    def _blacklist(self) -> frozenset[str] | None:
        running = self.config.current
        window = self.window
        if running is None or window is None:
            return None
        return usable_blacklist(running.blacklist, window.p.residents.generation())

    async def _follow(self) -> None:
        running = self.config.current
        if running is None or running.version == self.in_effect:
            return
        try:
            await self._reconfigure(running)
        except Exception:  # the window goes on with the hardware it has
            log.exception("configuration %d: the window's new devices failed", running.version)
            return
        self.in_effect = running.version
        if running.calendar is None:
            log.warning(
                "configuration %d carries no working-day calendar: deadlines are counted on the "
                "seed calendar (version %d) and each acceptance says calendar_source=seed",
                running.version, running.work_calendar.version,
            )  # fmt: skip
        log.info("configuration %d in effect without a restart", running.version)

    async def _reconfigure(self, running: RunningConfig) -> None:
        """Put a configuration into effect: retune the face service, rebuild what the new
        profile changed, and hand the new hardware to the window for its next step."""
        assert self.window is not None
        new, old = running.profile, self._built
        w = self.window.p
        face: FaceService | None = w.face
        tuned = self._face is None or self._face.retune(new.face, running.face_verify_threshold)
        if not tuned:  # the models must be loaded again (threads changed)
            face = self._face = await asyncio.to_thread(self._make_face, new)
        devices, camera = w.devices, w.camera
        if old is None or (new.pad, new.rating, new.printer) != (old.pad, old.rating, old.printer):
            devices = self.kit.devices(new)
        if old is None or new.camera != old.camera:
            camera = self.kit.camera(new)
        self._built = new
        if devices is not w.devices or camera is not w.camera or face is not w.face:
            await self.window.replace_hardware(Hardware(devices, camera, face))

    async def _profile(self) -> HardwareProfile:
        initial = self.kit.initial_profile()
        if initial is not None and self.config.current is None:
            return initial
        applied = asyncio.Event()  # real devices need the county's profile first
        self.config.listeners.append(lambda _running: applied.set())
        while self.config.current is None:
            await applied.wait()
        return self.config.current.profile

    async def _build(self, profile: HardwareProfile) -> Window:
        s = self.settings
        keys = self.kit.keys()
        self._template_key = keys.template_key  # kept to load the face models again
        devices = self.kit.devices(profile)
        camera = self.kit.camera(profile)
        face = self._face = await asyncio.to_thread(self._make_face, profile) if s.face else None
        self._built = profile
        token = s.hub_token.get_secret_value() if s.hub_token else None
        info = WindowInfo(
            SlipWindow(window_name(s.unit_id, s.window_name), s.window_phone, s.window_hours),
            **({"track_base": status_base(s.hub_url)} if s.hub_url else {}),
        )
        residents = ResidentFaces(s.data_dir / "residents.sqlite3")
        generation = residents.generation  # of the references kept (protocol.idchain)
        parts = WindowParts(
            unit=s.unit_id,
            store=CaseStore(self.event_log, generation),
            config=self._running,
            devices=devices,
            camera=camera,
            face=face,
            residents=residents,
            registry=RegistryClient(s.hub_url, token, verify=s.hub_verify(), generation=generation),
            id_key=keys.id_key,
            references=ReferenceClient(s.hub_url, token, generation=generation),
            seal_key=base64.b64decode(s.hub_seal_key) if s.hub_seal_key else None,
            info=info,
            data_dir=s.data_dir,
            signatures=self._signatures(keys.template_key),
        )
        return Window(parts)

    def _signatures(self, template_key: bytes) -> SignatureArchive:
        archive = SignatureArchive(
            self.settings.data_dir / "signatures.sqlite3", archive_key(template_key)
        )
        moved = archive.import_plain(self.settings.data_dir / "signatures")
        if moved:
            log.info("%d signatures kept in clear by an earlier version are now encrypted", moved)
        return archive

    def _running(self) -> RunningConfig | None:
        return self.config.current

    def _make_face(self, profile: HardwareProfile) -> LocalFaceService | None:
        from edge.face.errors import FaceError
        from edge.face.pipeline import FacePipeline
        from edge.face.service import LocalFaceService
        from edge.face.templates import TemplateStore

        try:
            pipeline = FacePipeline(profile.face)
        except FaceError as exc:
            log.warning("face recognition off: %s (the ID-card path still works)", exc)
            return None
        if self._face is not None:  # the same encrypted templates, with models loaded again
            store = self._face.store
        else:
            path = self.settings.data_dir / "face_templates.sqlite3"
            store = TemplateStore(path, self._template_key)
        face = LocalFaceService(pipeline, store)
        running = self.config.current
        if running is not None:  # the county's threshold, when it sets one
            face.retune(profile.face, running.face_verify_threshold)
        return face

    async def _serve(self) -> None:
        import uvicorn

        from edge.kiosk.app import KIOSK_HOST, create_kiosk_app

        assert self.window is not None
        assert self.settings.kiosk_port is not None
        app = create_kiosk_app(self.window, self._notice_desk())
        config = uvicorn.Config(
            app, host=KIOSK_HOST, port=self.settings.kiosk_port, log_level="warning",
            lifespan="off",
        )  # fmt: skip
        server = _server_class()(config)
        self._server = server
        task = asyncio.create_task(server.serve(), name="kiosk")
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.kiosk_url = f"http://127.0.0.1:{port}/"
        log.info("kiosk: %s", self.kiosk_url)
        print(f"kiosk: {self.kiosk_url}", flush=True)

    def _notice_desk(self) -> NoticeDesk | None:
        """The kiosk's notices (edge.notices), printed on this window's printer between cases."""
        from edge.notices.desk import NoticeDesk

        window = self.window
        if self.notices is None or window is None:
            return None

        def on_duty(field: str) -> str | None:
            clerk = window.clerks.current()
            return getattr(clerk, field) if clerk is not None else None

        return NoticeDesk(
            self.notices, self.event_log, printer=lambda: window.p.devices.printer,
            info=window.p.info, busy=lambda: window.case is not None,
            clerk=lambda: on_duty("id"), clerk_name=lambda: on_duty("name"),
            guard=window.require_clerk,  # the handover is a clerk's: signed in, if a roster
        )  # fmt: skip

    async def close(self) -> None:
        if self._resolver is not None:
            self._resolver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._resolver
        if self._server is not None:
            self._server.should_exit = True
        if self.window is not None:
            with contextlib.suppress(Exception):
                await self.window.close()


def _server_class() -> type[Any]:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Leaves the process's signals alone: the agent owns SIGTERM and SIGINT."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer
