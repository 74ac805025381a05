"""Building the window on a unit: devices from the hardware profile (or simulators), the camera
and face service, keys from provisioning, the registry client; then serving the kiosk page.

Kept apart from the workflow so that the 76-unit demo fleet, which has no window, never loads
any of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from edge.config import ConfigApplier
from edge.config.applier import RunningConfig
from edge.devices.bundle import Devices, real_devices
from edge.devices.printer.slips import Window as SlipWindow
from edge.errors import SettingsError
from edge.settings import EdgeSettings
from edge.workflow.documents import WindowInfo
from edge.workflow.face_steps import CameraDevice
from edge.workflow.parts import WindowParts
from edge.workflow.registry import RegistryClient
from edge.workflow.residents import ResidentFaces
from edge.workflow.store import CaseStore
from edge.workflow.window import Window
from firmware_config.schema import HardwareProfile, NetworkTransport
from protocol.messages import DeviceStatus

if TYPE_CHECKING:
    from edge.face.service import FaceService
    from edge.outbox import Outbox

log = logging.getLogger("bianmin.edge.window")
DEFAULT_SIMULATED_PROFILE = "pi4-cm3-80mm"


class WindowRuntime:
    """Owns the window, its devices and the kiosk web server for one unit."""

    def __init__(
        self,
        settings: EdgeSettings,
        outbox: Outbox,
        config: ConfigApplier,
        notify: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.config = config
        self.notify = notify
        self.window: Window | None = None
        self.virtual_printer: Any = None
        self.kiosk_url: str | None = None
        self._server: Any = None
        self._closers: list[Callable[[], Awaitable[None] | None]] = []

    async def device_status(self) -> dict[str, DeviceStatus]:
        if self.window is None:
            return {}
        return await self.window.device_status(max_age_s=3.0)

    async def run(self) -> None:
        profile = await self._profile()
        self.window = await self._build(profile)
        await self.window.start()
        await self._serve()
        await asyncio.Event().wait()

    async def _profile(self) -> HardwareProfile:
        if self.settings.simulated_devices and self.config.current is None:
            from firmware_config import builtin_profiles

            return builtin_profiles()[DEFAULT_SIMULATED_PROFILE]
        applied = asyncio.Event()  # real devices need the county's profile first
        self.config.listeners.append(lambda _running: applied.set())
        while self.config.current is None:
            await applied.wait()
        return self.config.current.profile

    def _keys(self) -> tuple[bytes, bytes]:
        s = self.settings
        id_key = s.secret_file(s.id_key_file, "id_key_file", 16)
        template_key = s.secret_file(s.template_key_file, "template_key_file", 32)
        if s.simulated_devices:
            from simulators.cases import DEMO_ID_KEY

            id_key = id_key or DEMO_ID_KEY
            seed = f"bianmin-demo-template-key/{s.unit_id}".encode()
            template_key = template_key or hashlib.sha256(seed).digest()
        if id_key is None or template_key is None:
            raise SettingsError("the window needs --id-key-file and --template-key-file")
        return id_key, template_key[:32]

    async def _build(self, profile: HardwareProfile) -> Window:
        s = self.settings
        id_key, template_key = self._keys()
        devices = self._devices(profile)
        camera = self._camera(profile)
        face = await asyncio.to_thread(self._face, profile, template_key) if s.face else None
        token = s.hub_token.get_secret_value() if s.hub_token else None
        info = WindowInfo(SlipWindow(s.window_name, s.window_phone, s.window_hours))
        parts = WindowParts(
            unit=s.unit_id,
            store=CaseStore(self.outbox, self.notify),
            config=self._running,
            devices=devices,
            camera=camera,
            face=face,
            residents=ResidentFaces(s.data_dir / "residents.sqlite3"),
            registry=RegistryClient(s.hub_url, token),
            id_key=id_key,
            info=info,
            data_dir=s.data_dir,
        )
        return Window(parts)

    def _running(self) -> RunningConfig | None:
        return self.config.current

    def _devices(self, profile: HardwareProfile) -> Devices:
        if not self.settings.simulated_devices:
            return real_devices(profile)
        from edge.devices.printer.driver import EscposPrinter
        from simulators.devices.pad import SimulatedSignaturePad
        from simulators.devices.rating import SimulatedRatingDevice
        from simulators.printer import VirtualPrinter

        printer = self.settings.printer
        if printer is None:
            vp = VirtualPrinter(
                dots=profile.printer.dots_per_line,
                charset=profile.printer.charset,
                out_dir=self.settings.data_dir / "slips",
            ).start()
            self.virtual_printer = vp
            self._closers.append(vp.stop)
            host, port = vp.host, vp.port
        else:
            host, _, raw = printer.removeprefix("tcp:").rpartition(":")
            port = int(raw)
        spec = profile.printer.model_copy(
            update={"transport": NetworkTransport(kind="network", host=host, port=port)}
        )
        return Devices(
            pad=SimulatedSignaturePad(profile.pad, signer="王小明", speed=2.0),
            rating=SimulatedRatingDevice(profile.rating, choices=(5,), delay_s=1.0),
            printer=EscposPrinter(spec),
        )

    def _camera(self, profile: HardwareProfile) -> CameraDevice | None:
        if self.settings.simulated_devices:
            from simulators.camera import FileCamera

            source = self.settings.camera or "synthetic"
            return CameraDevice(
                FileCamera(source, 640, 480), f"模拟摄像头（{source.rsplit('/', 1)[-1]}）"
            )
        from edge.camera import make_camera

        return CameraDevice(make_camera(profile.camera), profile.camera.backend)

    def _face(self, profile: HardwareProfile, key: bytes) -> FaceService | None:
        from edge.face.errors import FaceError
        from edge.face.pipeline import FacePipeline
        from edge.face.service import LocalFaceService
        from edge.face.templates import TemplateStore

        try:
            pipeline = FacePipeline(profile.face)
        except FaceError as exc:
            log.warning("face recognition off: %s (the ID-card path still works)", exc)
            return None
        store = TemplateStore(self.settings.data_dir / "face_templates.sqlite3", key)
        return LocalFaceService(pipeline, store)

    async def _serve(self) -> None:
        import uvicorn

        from edge.kiosk.app import create_kiosk_app

        assert self.window is not None
        assert self.settings.kiosk_port is not None
        config = uvicorn.Config(
            create_kiosk_app(self.window), host="127.0.0.1", port=self.settings.kiosk_port,
            log_level="warning", lifespan="off",
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

    async def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self.window is not None:
            with contextlib.suppress(Exception):
                await self.window.close()
        for close in reversed(self._closers):
            result = close()
            if result is not None:
                await result


def _server_class() -> type[Any]:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Leaves the process's signals alone: the agent owns SIGTERM and SIGINT."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer
