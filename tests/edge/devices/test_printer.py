"""The printer contract, run against the python-escpos driver on a Dummy-like printer and on the
Network transport to the virtual printer, for the 80 mm and the 58 mm profile: decoded output
holds the Chinese text, the QR codes scan (zxing), status maps to DeviceStatus."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from escpos.printer import Dummy

from edge.devices.errors import PaperOut, PrinterOffline
from edge.devices.printer.driver import EscposPrinter
from edge.devices.printer.samples import SLIP_KINDS, sample_document
from firmware_config.schema import FileTransport, HardwareProfile, NetworkTransport
from simulators.escpos.paper import Slip
from simulators.printer import PaperState, VirtualPrinter, decode_job, status_reply
from tests.edge.devices.conftest import on_virtual_printer, read_qr

EXPECTED_TEXT = {
    "receipt": ["受理回执", "张建国", "城乡居民基本医疗保险参", "3****************6", "窗口直审"],
    "deficiency": ["容缺受理单", "相邻权利人意见书", "补齐期限", "电子邮件", "2026年12月10日前"],
    "completion": ["办结通知", "准予办理", "一事一评"],
    "notice": [
        "一次性告知书",
        "残疾人两项补贴申请",
        "获取途径：县残疾人联合会",
        "主管部门：县民政局",
        "3. 申请表",
        "本次暂不予受理",
    ],
    "photo": ["证件照（一寸）", "请沿黑框剪下"],
}
TRACK = {
    "receipt": "https://bianmin.example/c/NL20261126-0037",
    "deficiency": "https://bianmin.example/c/NL20261126-0041",
    "completion": "https://bianmin.example/c/NL20261126-0037",
    "notice": "https://bianmin.example/c/NL20261126-0044",
}


class AnsweringDummy(Dummy):  # type: ignore[misc]
    """python-escpos's Dummy (records bytes) that also answers DLE EOT like a printer."""

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        self.paper: PaperState = "ok"
        self._last = b""

    def _raw(self, msg: bytes) -> None:
        self._last = msg
        super()._raw(msg)

    def _read(self) -> bytes:
        if self._last[:2] == b"\x10\x04":
            return status_reply(self._last[2], paper=self.paper)
        return b""


@dataclass
class Case:
    printer: EscposPrinter
    slips: Callable[[int], list[Slip]]  # wait for n slips, return all decoded so far
    set_paper: Callable[[PaperState], None]
    errors: Callable[[], list[str]]


def _dummy(profile: HardwareProfile) -> Case:
    fake = AnsweringDummy(profile=profile.printer.escpos_profile)
    printer = EscposPrinter(profile.printer, connect=lambda: fake, readable=True)
    dots = profile.printer.dots_per_line

    def slips(n: int) -> list[Slip]:
        return decode_job(fake.output, dots=dots)

    def errors() -> list[str]:
        return [e for s in decode_job(fake.output, dots=dots) for e in s.errors]

    return Case(printer, slips, lambda p: setattr(fake, "paper", p), errors)


def _virtual(profile: HardwareProfile, vp: VirtualPrinter) -> Case:
    printer = EscposPrinter(on_virtual_printer(profile.printer, vp))
    return Case(printer, vp.wait_for_slips, lambda p: setattr(vp, "paper", p), lambda: vp.errors)


@pytest.fixture(params=["escpos-dummy", "escpos-network+virtual-printer"])
def case(
    request: pytest.FixtureRequest, profile: HardwareProfile, virtual_printer: VirtualPrinter
) -> Case:
    if request.param == "escpos-dummy":
        return _dummy(profile)
    return _virtual(profile, virtual_printer)


@pytest.mark.parametrize("kind", SLIP_KINDS)
def test_a_printed_slip_decodes_to_its_chinese_text_and_scannable_qr(case: Case, kind: str):
    case.printer.print(sample_document(kind))  # type: ignore[arg-type]
    (slip,) = case.slips(1)
    for phrase in EXPECTED_TEXT[kind]:
        assert phrase in slip.text, f"{phrase!r} missing from\n{slip.text}"
    assert slip.errors == []
    assert slip.overflows == []
    assert slip.png is not None
    if kind in TRACK:
        assert read_qr(slip.png) == [TRACK[kind]]
    assert case.errors() == []


def test_qr_is_native_only_where_the_profile_says_so(case: Case):
    case.printer.print(sample_document("receipt"))
    (slip,) = case.slips(1)
    if case.printer.spec.native_qr:
        assert slip.qr_native == [TRACK["receipt"]]
        assert slip.rasters == []
    else:
        assert slip.qr_native == []
        assert [read_qr(r) for r in slip.rasters] == [[TRACK["receipt"]]]


def test_the_slip_is_cut_only_on_printers_with_a_cutter(case: Case):
    case.printer.print(sample_document("completion"))
    (slip,) = case.slips(1)
    assert slip.cut == case.printer.spec.cut


def test_consecutive_slips_arrive_as_separate_slips(case: Case):
    for kind in ("receipt", "completion"):
        case.printer.print(sample_document(kind))
    slips = case.slips(2)
    assert ["受理回执" in slips[0].text, "办结通知" in slips[1].text] == [True, True]


@pytest.mark.parametrize(
    ("paper", "ok", "detail"),
    [("ok", True, None), ("near_end", True, "纸将用尽"), ("out", False, "缺纸")],
)
def test_paper_state_maps_to_the_heartbeat_status(case: Case, paper, ok, detail):
    case.set_paper(paper)
    status = case.printer.status()
    assert (status.present, status.ok, status.paper) == (True, ok, paper)
    if detail:
        assert detail in (status.detail or "")


def test_printing_without_paper_is_refused_before_anything_is_sent(case: Case):
    case.set_paper("out")
    with pytest.raises(PaperOut):
        case.printer.print(sample_document("receipt"))
    case.set_paper("ok")
    case.printer.print(sample_document("receipt"))
    assert len(case.slips(1)) == 1


def test_a_printer_that_never_answers_status_queries_still_prints(profile):
    class Mute(AnsweringDummy):
        def _read(self) -> bytes:
            return b""

    fake = Mute(profile=profile.printer.escpos_profile)
    printer = EscposPrinter(profile.printer, connect=lambda: fake, readable=True)
    assert printer.status().present is False
    printer.print(sample_document("receipt"))
    assert "受理回执" in decode_job(fake.output, dots=profile.printer.dots_per_line)[0].text


def test_the_virtual_printer_answers_the_driver_status_path(profile, virtual_printer):
    printer = EscposPrinter(on_virtual_printer(profile.printer, virtual_printer))
    virtual_printer.cover_open = True
    status = printer.status()
    assert not status.ok
    assert "纸仓盖打开" in (status.detail or "")
    with pytest.raises(PrinterOffline):
        printer.print(sample_document("receipt"))
    assert virtual_printer.status_queries >= 4


def test_a_printer_that_is_off_is_reported_absent(profile):
    vp = VirtualPrinter()
    port = vp.port
    vp.stop()  # nothing listens there any more
    transport = NetworkTransport(kind="network", host="127.0.0.1", port=port)
    printer = EscposPrinter(profile.printer.model_copy(update={"transport": transport}))
    status = printer.status()
    assert (status.present, status.ok) == (False, False)


def test_a_write_only_file_transport_reports_present_without_paper_state(profile, tmp_path):
    spec = profile.printer.model_copy(
        update={"transport": FileTransport(kind="file", path=str(tmp_path / "lp0"))}
    )
    printer = EscposPrinter(spec)
    printer.print(sample_document("receipt"))
    status = printer.status()
    assert (status.present, status.ok, status.paper) == (True, True, None)
    slips = decode_job((tmp_path / "lp0").read_bytes(), dots=spec.dots_per_line)
    assert slips
    assert "受理回执" in slips[0].text
