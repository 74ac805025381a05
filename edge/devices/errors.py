"""One exception tree for every device driver, with stable codes for logs, health and the kiosk.

Drivers catch the library's own errors (OSError, pyusb, pyserial, python-escpos) at the edge of
the driver and re-raise one of these `from` the original, so callers handle one family.
"""

from __future__ import annotations

import errno


class DeviceError(Exception):
    """Base of every device error; `code` is stable and safe to show or to count."""

    code = "device_error"

    def __init__(self, message: str, *, device: str | None = None) -> None:
        super().__init__(message)
        self.device = device


class DeviceNotFound(DeviceError):
    code = "device_not_found"


class DevicePermissionDenied(DeviceError):
    """The node exists but this process may not open it (udev rule or group missing)."""

    code = "device_permission_denied"


class DeviceBusy(DeviceError):
    """Another process holds the device (an evdev grab, or a claimed USB interface)."""

    code = "device_busy"


class DeviceDisconnected(DeviceError):
    """The device went away while in use (unplugged, or its event stream ended)."""

    code = "device_disconnected"


class DeviceTimeout(DeviceError):
    code = "device_timeout"


class DeviceConfigError(DeviceError):
    """The hardware profile asks for something this driver or device cannot do."""

    code = "device_config"


class FontMissing(DeviceError):
    code = "font_missing"


class PrinterError(DeviceError):
    code = "printer_error"


class PrinterOffline(PrinterError):
    code = "printer_offline"


class PaperOut(PrinterError):
    code = "paper_out"


class PrintFailed(PrinterError):
    """Bytes could not be delivered to the printer (write error, timeout, broken link)."""

    code = "print_failed"


class LayoutError(PrinterError):
    """A document cannot be laid out on this paper (e.g. an image wider than the head)."""

    code = "layout_error"


def from_os_error(exc: OSError, what: str, *, device: str | None = None) -> DeviceError:
    """Map an OSError from opening or using a device node onto the tree by errno."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOENT, errno.ENXIO):
        return DeviceNotFound(f"{what}: not found ({reason})", device=device)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return DevicePermissionDenied(f"{what}: permission denied ({reason})", device=device)
    if exc.errno == errno.EBUSY:
        return DeviceBusy(f"{what}: busy ({reason})", device=device)
    if exc.errno in (errno.ENODEV, errno.EIO, errno.EPIPE, errno.ECONNRESET):
        return DeviceDisconnected(f"{what}: disconnected ({reason})", device=device)
    return DeviceError(f"{what}: {reason}", device=device)
