"""Signature strokes from pad events, and the vector data, hash, SVG and PNG derived from them.
Pure code: events are built in memory."""

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from edge.devices.events import (
    ABS_PRESSURE,
    ABS_X,
    ABS_Y,
    BTN_TOOL_PEN,
    BTN_TOOL_RUBBER,
    BTN_TOUCH,
    EV_ABS,
    EV_KEY,
    EV_SYN,
    SYN_DROPPED,
    SYN_REPORT,
    AxisRange,
    Event,
)
from edge.devices.signature import Signature
from edge.devices.strokes import PadGeometry, StrokeAssembler
from simulators.devices.handwriting import XP_PEN_10, handwriting

GEOMETRY = PadGeometry(AxisRange(0, 1000, 10), AxisRange(0, 500, 10), AxisRange(0, 1023))


class Script:
    """Builds pad frames the way the kernel reports them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.t = 100.0

    def frame(self, *pairs: tuple[int, int, int]) -> "Script":
        for type_, code, value in pairs:
            self.events.append(Event.at(self.t, type_, code, value))
        self.events.append(Event.at(self.t, EV_SYN, SYN_REPORT, 0))
        self.t += 0.005
        return self

    def pen(self, x: int, y: int, p: int, *keys: tuple[int, int, int]) -> "Script":
        return self.frame(*keys, (EV_ABS, ABS_X, x), (EV_ABS, ABS_Y, y), (EV_ABS, ABS_PRESSURE, p))


def assemble(events: list[Event], threshold: int = 8) -> StrokeAssembler:
    asm = StrokeAssembler(GEOMETRY, threshold)
    for ev in events:
        asm.feed(ev)
    return asm


def test_btn_touch_starts_and_ends_a_stroke_and_hover_draws_nothing():
    s = Script().frame((EV_KEY, BTN_TOOL_PEN, 1)).pen(10, 10, 0)  # hovering
    s.frame((EV_KEY, BTN_TOUCH, 1), (EV_ABS, ABS_PRESSURE, 300)).pen(20, 10, 400).pen(30, 10, 500)
    s.frame((EV_KEY, BTN_TOUCH, 0), (EV_ABS, ABS_PRESSURE, 0)).pen(50, 50, 0)
    strokes = assemble(s.events).strokes
    assert len(strokes) == 1
    assert [p.x for p in strokes[0]] == [100, 200, 300]  # 10/1000 of the width in 0..10000


def test_pressure_alone_means_pen_down_on_pads_without_btn_touch():
    s = Script().pen(10, 10, 3).pen(20, 10, 200).pen(30, 10, 300).pen(40, 10, 5).pen(50, 10, 0)
    strokes = assemble(s.events, threshold=8).strokes
    assert len(strokes) == 1
    assert len(strokes[0]) == 2


def test_pen_leaving_range_ends_the_stroke_even_without_btn_touch_release():
    s = Script().frame((EV_KEY, BTN_TOOL_PEN, 1), (EV_KEY, BTN_TOUCH, 1)).pen(10, 10, 500)
    s.pen(20, 10, 500).frame((EV_KEY, BTN_TOOL_PEN, 0))
    asm = assemble(s.events)
    assert len(asm.strokes) == 1
    assert not asm.pen_down


def test_events_after_syn_dropped_are_ignored_until_the_next_report():
    s = Script().pen(10, 10, 500, (EV_KEY, BTN_TOUCH, 1))
    s.events.append(Event.at(s.t, EV_SYN, SYN_DROPPED, 0))
    s.events.append(Event.at(s.t, EV_ABS, ABS_X, 999))  # partial frame: must not be drawn
    s.pen(20, 10, 500).pen(30, 10, 500)
    asm = assemble(s.events)
    assert [[p.x for p in st] for st in asm.strokes] == [[100]]  # cut at the drop
    assert asm.pen_down  # drawing resumed after the next full frame (x 300)


def test_the_eraser_end_of_the_pen_does_not_ink():
    s = Script().frame((EV_KEY, BTN_TOOL_RUBBER, 1), (EV_KEY, BTN_TOUCH, 1)).pen(10, 10, 500)
    assert assemble(s.events).strokes == ()


def test_clear_drops_the_ink_for_a_redo():
    s = Script().frame((EV_KEY, BTN_TOUCH, 1)).pen(10, 10, 500).frame((EV_KEY, BTN_TOUCH, 0))
    asm = assemble(s.events)
    asm.clear()
    assert asm.signature().is_empty


@pytest.mark.parametrize(
    ("swap", "inv_x", "inv_y", "expected"),
    [
        (False, False, False, (2500, 2000)),
        (False, True, False, (7500, 2000)),
        (False, False, True, (2500, 8000)),
        (True, False, False, (2000, 2500)),
    ],
)
def test_mounting_flags_from_the_profile_rotate_and_mirror_points(swap, inv_x, inv_y, expected):
    g = PadGeometry(AxisRange(0, 1000), AxisRange(0, 500), None, swap, inv_x, inv_y)
    x, y, p = g.normalise(250, 100, 0)
    assert (x, y) == expected
    assert p == 1000  # no pressure axis: full weight


def test_aspect_uses_the_axis_resolution_when_the_pad_reports_it():
    g = PadGeometry(AxisRange(0, 50794, 200), AxisRange(0, 30474, 200), None)
    assert g.aspect == pytest.approx(50794 / 30474)
    assert PadGeometry(AxisRange(0, 300, 10), AxisRange(0, 300, 5), None).aspect == 0.5


def _signature() -> Signature:
    asm = StrokeAssembler(
        PadGeometry(XP_PEN_10.axes()[ABS_X], XP_PEN_10.axes()[ABS_Y], XP_PEN_10.axes()[24]), 8
    )
    for ev in handwriting("王小明", XP_PEN_10, seed=1):
        asm.feed(ev)
    return asm.signature()


def test_the_simulated_name_has_the_strokes_of_its_characters_with_varying_pressure():
    sig = _signature()
    assert len(sig.strokes) == 12  # 王 3 + 小 3 + 明 6 pen strokes
    pressures = {p.p for st in sig.strokes for p in st}
    assert min(pressures) < 200 < 500 < max(pressures)
    assert 2000 < sig.duration_ms < 20000


def test_vector_data_round_trips_and_its_hash_is_stable():
    sig = _signature()
    again = Signature.from_vector_data(sig.vector_data())
    assert again == sig
    assert again.sha256 == sig.sha256 == _signature().sha256
    assert len(sig.sha256) == 64


def test_the_hash_changes_when_one_point_moves():
    sig = _signature()
    data = sig.vector_data()
    data["strokes"][0][3][0] += 1  # type: ignore[index]
    assert Signature.from_vector_data(data).sha256 != sig.sha256


def test_svg_is_well_formed_and_draws_every_stroke():
    sig = _signature()
    root = ET.fromstring(sig.to_svg(600))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("width") == "600"
    assert len(root.findall(f".//{ns}polyline")) >= len(sig.strokes)


def test_png_has_ink_on_white_at_the_requested_width():
    png = Image.open(io.BytesIO(_signature().to_png(480)))
    assert png.width == 480
    assert 80 < png.height < 480
    hist = png.convert("L").histogram()
    assert hist[255] > png.width * png.height * 0.6  # mostly paper
    assert sum(hist[:64]) > 500  # and clearly some ink


def test_an_empty_signature_still_renders():
    empty = Signature((), 1.5)
    assert empty.is_empty
    assert empty.point_count == 0
    assert Image.open(io.BytesIO(empty.to_png(200))).width == 200
    ET.fromstring(empty.to_svg())
