"""The window's camera as a device: opened on first use and kept open, with a status for the
kiosk's device bar and the heartbeat. Frames are handed to the face steps and never kept."""

from __future__ import annotations

import threading

from edge.camera.base import Camera, CameraError
from protocol.labels import DEVICE_LABELS
from protocol.messages import DeviceStatus

CAMERA = DEVICE_LABELS["camera"]


class CameraDevice:
    """A camera opened on first use and kept open; remembers its last error for the status."""

    def __init__(self, camera: Camera, describe: str) -> None:
        self.camera = camera
        self.describe = describe
        self._lock = threading.Lock()
        self._started = False
        self._error: str | None = None

    def capture(self) -> object:
        with self._lock:
            try:
                if not self._started:
                    self.camera.start()
                    self._started = True
                frame = self.camera.capture_rgb()
            except CameraError as exc:
                self._error = f"{exc} ({exc.code})"
                raise
            self._error = None
            return frame

    def status(self) -> DeviceStatus:
        if self._error is not None:
            return DeviceStatus.report(
                present=False, ok=False, detail=f"{CAMERA}不可用：{self._error}"
            )
        detail = self.describe if self._started else f"{self.describe}（未启用）"
        return DeviceStatus.report(present=True, ok=True, detail=detail)

    def close(self) -> None:
        with self._lock:
            if self._started:
                self.camera.close()
                self._started = False
