"""Device health for the unit's heartbeat: protocol DeviceStatus per device, never raising.

Status calls may block (the printer's DLE EOT round trips), so each runs in a worker thread
with a deadline; a device whose status call fails or hangs is reported, not propagated.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Protocol

from protocol.messages import DeviceStatus

log = logging.getLogger(__name__)

STATUS_TIMEOUT_S = 5.0


class HasStatus(Protocol):
    def status(self) -> DeviceStatus: ...


async def device_status(name: str, device: HasStatus, timeout_s: float) -> DeviceStatus:
    try:
        async with asyncio.timeout(timeout_s):
            return await asyncio.to_thread(device.status)
    except TimeoutError:
        return DeviceStatus.report(
            present=True, ok=False, detail=f"状态查询超时（{timeout_s:g} 秒）"
        )
    except Exception as exc:  # a status probe must never take the heartbeat down
        log.exception("status of %s failed", name)
        return DeviceStatus.report(present=False, ok=False, detail=f"状态查询失败：{exc}")


async def device_health(
    devices: Mapping[str, HasStatus], *, timeout_s: float = STATUS_TIMEOUT_S
) -> dict[str, DeviceStatus]:
    """`{"pad": ..., "rating": ..., "printer": ...}` for `Health.devices`, queried in parallel."""
    names = list(devices)
    results = await asyncio.gather(*(device_status(n, devices[n], timeout_s) for n in names))
    return dict(zip(names, results, strict=True))
