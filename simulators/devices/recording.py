"""Read and write `evtest` logs, so captures from real pads and keypads replay in tests.

On a bench with hardware: `evtest /dev/input/by-id/...-event-mouse > pad.txt`, write on the
pad, Ctrl-C, and drop the file into tests/edge/devices/data/. The header's absinfo (Min, Max,
Resolution) becomes the replayed device's axes, so the real geometry is exercised too.
Lines starting with `#` are comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from edge.devices.events import (
    EV_ABS,
    EV_KEY,
    EV_MSC,
    EV_SYN,
    MSC_SCAN,
    SYN_DROPPED,
    SYN_REPORT,
    AxisRange,
    Event,
    RawEvent,
)

_EVENT = re.compile(
    r"^Event: time (\d+)\.(\d{6}), type (\d+) \((\w+)\), code (\d+) \((\w+)\), value (-?[0-9a-f]+)$"
)
_SYN = re.compile(r"^Event: time (\d+)\.(\d{6}), -+ (SYN_REPORT|SYN_DROPPED) -+$")
_DROPPED = re.compile(r"^Event: time (\d+)\.(\d{6}), \++ SYN_DROPPED \++$")
_NAME = re.compile(r'^Input device name: "(.*)"$')
_CODE = re.compile(r"^\s+Event code (\d+) \((\w+)\)$")
_TYPE = re.compile(r"^\s+Event type (\d+) \((\w+)\)$")
_ABSFIELD = re.compile(r"^\s+(Value|Min|Max|Fuzz|Flat|Resolution)\s+(-?\d+)$")

TYPE_NAMES = {EV_SYN: "EV_SYN", EV_KEY: "EV_KEY", EV_ABS: "EV_ABS", EV_MSC: "EV_MSC"}


@dataclass
class Recording:
    name: str = ""
    axes: dict[int, AxisRange] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


def parse_evtest(text: str) -> Recording:
    rec = Recording()
    ev_type: int | None = None
    axis: int | None = None
    fields: dict[str, int] = {}

    def close_axis() -> None:
        if axis is not None and "Min" in fields and "Max" in fields:
            rec.axes[axis] = AxisRange(fields["Min"], fields["Max"], fields.get("Resolution", 0))

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if m := _EVENT.match(line):
            sec, usec, typ, _, code, _, value = m.groups()
            base = 16 if int(typ) == EV_MSC and int(code) == MSC_SCAN else 10
            rec.events.append(Event(int(sec), int(usec), int(typ), int(code), int(value, base)))
        elif m := _SYN.match(line) or _DROPPED.match(line):
            code = SYN_DROPPED if "DROPPED" in line else SYN_REPORT
            rec.events.append(Event(int(m.group(1)), int(m.group(2)), EV_SYN, code, 0))
        elif m := _NAME.match(line):
            rec.name = m.group(1)
        elif m := _TYPE.match(line):
            close_axis()
            ev_type, axis, fields = int(m.group(1)), None, {}
        elif m := _CODE.match(line):
            close_axis()
            axis = int(m.group(1)) if ev_type == EV_ABS else None
            fields = {}
        elif (m := _ABSFIELD.match(line)) and axis is not None:
            fields[m.group(1)] = int(m.group(2))
    close_axis()
    return rec


def format_evtest(
    name: str, axes: dict[int, AxisRange], events: Iterable[RawEvent], *, names: dict[int, str]
) -> str:
    """The evtest text for events (a subset of evtest's header: name and absinfo)."""
    out = [f'Input device name: "{name}"', "Supported events:"]
    if axes:
        out.append(f"  Event type {EV_ABS} (EV_ABS)")
    for code, ax in sorted(axes.items()):
        out.append(f"    Event code {code} ({names.get(code, f'ABS_{code}')})")
        out += [f"      Min {ax.minimum:8d}", f"      Max {ax.maximum:8d}"]
        if ax.resolution:
            out.append(f"      Resolution {ax.resolution:5d}")
    out.append("Testing ... (interrupt to exit)")
    for ev in events:
        t = f"{ev.sec}.{ev.usec:06d}"
        if ev.type == EV_SYN:
            out.append(f"Event: time {t}, -------------- SYN_REPORT ------------")
            continue
        value = f"{ev.value:x}" if ev.type == EV_MSC and ev.code == MSC_SCAN else str(ev.value)
        tname = TYPE_NAMES.get(ev.type, str(ev.type))
        cname = names.get(ev.code, str(ev.code)) if ev.type != EV_MSC else "MSC_SCAN"
        out.append(
            f"Event: time {t}, type {ev.type} ({tname}), code {ev.code} ({cname}), value {value}"
        )
    return "\n".join(out) + "\n"
