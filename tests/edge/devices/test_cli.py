"""`bianmin edge print-test`: sample slips to a file, to a TCP printer, or the profile's own."""

import re
from importlib import resources

import pytest
from typer.testing import CliRunner

from bianmin.cli import app
from simulators.printer import VirtualPrinter, decode_job
from tests.edge.devices.conftest import read_qr

runner = CliRunner()


def test_print_test_writes_a_decodable_receipt_with_a_scannable_qr_to_a_file(tmp_path):
    out = tmp_path / "receipt.bin"
    result = runner.invoke(app, ["edge", "print-test", "--slip", "receipt", "--to", f"file:{out}"])
    assert result.exit_code == 0, result.output
    assert "受理回执" in result.output
    assert "bytes of ESC/POS" in result.output
    (slip,) = decode_job(out.read_bytes(), dots=576)
    assert slip.errors == []
    assert "申 请 人：张建国" in slip.text
    assert read_qr(slip.png) == ["https://bianmin.example/c/NL20261126-0037"]


@pytest.mark.parametrize("slip_kind", ["receipt", "deficiency", "completion", "photo"])
def test_print_test_prints_every_slip_on_a_tcp_printer(slip_kind):
    with VirtualPrinter(dots=384) as vp:
        result = runner.invoke(
            app,
            [
                "edge", "print-test", "--slip", slip_kind,
                "--to", f"tcp:127.0.0.1:{vp.port}", "--profile", "pi5-usbcam-58mm",
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        (slip,) = vp.wait_for_slips(1)
    assert vp.errors == []
    assert slip.overflows == []
    assert slip.rasters  # 58 mm profile: QR (or the photos) as raster images
    if slip_kind != "photo":
        assert read_qr(slip.png)[0].startswith("https://bianmin.example/c/")


def test_print_test_uses_the_profile_printer_and_accepts_a_profile_file(tmp_path):
    shipped = resources.files("firmware_config.profiles") / "pi4-cm3-80mm.toml"
    with VirtualPrinter(dots=576) as vp:
        bench = re.sub(
            r"^transport = .*$",
            f'transport = {{ kind = "network", host = "127.0.0.1", port = {vp.port} }}',
            shipped.read_text(encoding="utf-8"),
            flags=re.M,
        )
        path = tmp_path / "bench.toml"
        path.write_text(bench, encoding="utf-8")
        result = runner.invoke(app, ["edge", "print-test", "--profile", str(path)])
        assert result.exit_code == 0, result.output
        (slip,) = vp.wait_for_slips(1)
    assert slip.qr_native == ["https://bianmin.example/c/NL20261126-0037"]  # 80 mm: native QR


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "lpt1"], "expected file:PATH, tcp:HOST:PORT or profile"),
        (["--to", "tcp:host-without-port"], "expected file:PATH"),
        (["--profile", "no-such-unit"], "unknown profile"),
        (["--slip", "invoice"], "invoice"),
    ],
)
def test_print_test_explains_bad_arguments(args, message):
    result = runner.invoke(app, ["edge", "print-test", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_print_test_reports_an_unreachable_printer_with_its_error_code():
    vp = VirtualPrinter()
    port = vp.port
    vp.stop()
    result = runner.invoke(app, ["edge", "print-test", "--to", f"tcp:127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert "device_not_found" in result.output
