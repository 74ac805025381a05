"""What goes over the wire: the GB18030 rules, sizes and resets, rasters for rare names and ID
photos, the decoder's refusal of unknown commands, and the DLE EOT status mapping."""

import dataclasses

import pytest
from escpos.image import EscposImage
from PIL import Image, ImageStat

from edge.devices.errors import LayoutError
from edge.devices.printer import raster
from edge.devices.printer import status as st
from edge.devices.printer.document import Document, Field, Picture
from edge.devices.printer.driver import EscposPrinter
from edge.devices.printer.layout import ImageRow
from edge.devices.printer.photo import fit_id_photo, framed, photo_document, photo_size
from edge.devices.printer.samples import sample_document, sample_portrait, sample_receipt
from edge.devices.printer.slips import mask_id_number, receipt_document
from simulators.escpos.decoder import Command, Parser, Raster, Symbol
from simulators.printer import decode_job


def commands(data: bytes) -> list:
    return Parser().feed(data)


def names(data: bytes) -> list[bytes]:
    return [c.name for c in commands(data) if isinstance(c, Command)]


def test_every_job_starts_with_esc_at_then_chinese_mode_on(profile):
    data = EscposPrinter(profile.printer).encode(sample_document("receipt"))
    assert data.startswith(b"\x1b@\x1c&")


def test_sizes_use_gs_excl_never_esc_excl_and_are_reset_at_the_end(profile):
    data = EscposPrinter(profile.printer).encode(sample_document("receipt"))
    cmds = [c for c in commands(data) if isinstance(c, Command)]
    sizes = [c.args for c in cmds if c.name == b"\x1d!"]
    assert b"\x11" in sizes  # the title at double width and height
    assert sizes[-1] == b"\x00"  # reset before the job ends
    assert b"\x1b!" not in [c.name for c in cmds]  # ESC ! does not enlarge Hanzi


def test_only_the_documented_command_set_is_emitted(profile):
    allowed = {b"\n", b"\x1b@", b"\x1ba", b"\x1bE", b"\x1b3", b"\x1bd", b"\x1d!", b"\x1c&"}
    for kind in ("receipt", "deficiency", "completion", "notice", "photo"):
        data = EscposPrinter(profile.printer).encode(sample_document(kind))
        assert set(names(data)) <= allowed
        assert all(s.errors == [] for s in decode_job(data, dots=profile.printer.dots_per_line))


def test_yen_is_printed_as_the_full_width_sign_never_the_4_byte_sequence():
    doc = Document("fee", (Field("工本费", "¥0.00（免收）"),))
    from firmware_config.loader import builtin_profiles

    spec = builtin_profiles()["pi4-cm3-80mm"].printer
    data = EscposPrinter(spec).encode(doc)
    assert b"\x81\x30\x84\x36" not in data
    assert "￥".encode("gb18030") in data
    assert "工本费：￥0.00（免收）" in decode_job(data)[0].text


def test_punctuation_only_lines_are_sent_as_gb18030_not_a_code_page():
    from firmware_config.loader import builtin_profiles

    spec = builtin_profiles()["pi4-cm3-80mm"].printer
    data = EscposPrinter(spec).encode(Document("p", (Field("，", "：；"),)))
    assert "，：：；".encode("gb18030") in data
    assert b"\x1bt" not in data  # no ESC t code page switch


def test_a_rare_name_character_is_rasterised_and_never_sent_as_text(profile):
    r = sample_receipt()
    r = dataclasses.replace(r, case=dataclasses.replace(r.case, applicant="刘䶮"))
    data = EscposPrinter(profile.printer).encode(receipt_document(r))
    assert "䶮".encode("gb18030") not in data
    (slip,) = decode_job(data, dots=profile.printer.dots_per_line)
    assert slip.errors == []
    assert not any("刘" in line for line in slip.lines)  # the whole line went as an image
    name_line = slip.rasters[0]
    assert name_line.width == profile.printer.dots_per_line
    assert ImageStat.Stat(name_line.convert("L")).mean[0] < 250  # it has ink


def test_a_gb18030_font_printer_gets_the_rare_name_as_text(profile):
    spec = profile.printer.model_copy(update={"charset": "gb18030"})
    r = sample_receipt()
    r = dataclasses.replace(r, case=dataclasses.replace(r.case, applicant="刘䶮"))
    (slip,) = decode_job(EscposPrinter(spec).encode(receipt_document(r)), dots=spec.dots_per_line)
    assert "申 请 人：刘䶮" in slip.text


def test_full_id_numbers_never_reach_the_paper(profile):
    data = EscposPrinter(profile.printer).encode(sample_document("receipt"))
    assert b"330122196805172316" not in data
    assert mask_id_number("33012219680517231x") == "3" + "*" * 16 + "X"


def test_id_photo_raster_round_trip(profile):
    """GIVEN a portrait fitted to 1-inch size WHEN it is printed THEN the raster bytes the
    printer receives are python-escpos's dithering of that photo, dot for dot, and decode to
    the same tone."""
    dots = profile.printer.dots_per_line
    photo = fit_id_photo(sample_portrait((600, 800)), "1inch")
    assert photo.size == photo_size("1inch") == (200, 280)
    data = EscposPrinter(profile.printer).encode(photo_document(photo, "1inch", copies=2))
    rasters = [c for c in commands(data) if isinstance(c, Raster)]
    per_row = 2 if dots == 576 else 1
    expected = raster.row_image(ImageRow((framed(photo),) * per_row, "center", 16), dots)
    got = b"".join(r.data for r in rasters)
    assert got.startswith(EscposImage(expected).to_raster_format())
    assert {r.width_bytes * 8 for r in rasters} == {dots}
    (slip,) = decode_job(data, dots=dots)
    stacked = Image.new("L", (dots, sum(r.height for r in slip.rasters)))
    y = 0
    for band in slip.rasters:  # bands of up to 256 rows, as sent
        stacked.paste(band.convert("L"), (0, y))
        y += band.height
    assert stacked.height == expected.height * (2 // per_row) + (16 if per_row == 1 else 0)
    decoded = stacked.crop((0, 0, dots, expected.height))
    tone = abs(ImageStat.Stat(decoded).mean[0] - ImageStat.Stat(expected).mean[0])
    assert tone < 12  # dithering keeps the average grey


def test_photos_of_the_wrong_size_or_too_wide_are_refused_before_printing(profile):
    with pytest.raises(LayoutError, match="fit_id_photo"):
        photo_document(Image.new("L", (300, 400), 200), "1inch")
    too_wide = Document("w", (Picture(Image.new("L", (700, 10), 0)),))
    with pytest.raises(LayoutError):
        EscposPrinter(profile.printer).encode(too_wide)


def test_native_qr_bytes_follow_gs_paren_k(profile):
    spec = profile.printer.model_copy(update={"native_qr": True})
    data = EscposPrinter(spec).encode(sample_document("receipt"))
    syms = [c for c in commands(data) if isinstance(c, Symbol)]
    assert [s.fn for s in syms] == [65, 67, 69, 80, 81]
    assert syms[3].params == b"0https://bianmin.example/c/NL20261126-0037"


# -- the virtual printer's strictness --------------------------------------------------------


def test_unknown_commands_are_rejected_loudly(caplog):
    job = b"\x1b@\x1c&" + "测试".encode("gb18030") + b"\n\x1b!\x30\x1bt\x00" + b"\n"
    (slip,) = decode_job(job)
    assert any("unknown command 1b 21" in e for e in slip.errors)
    assert any("unknown command 1b 74" in e for e in slip.errors)
    assert "unknown command" in caplog.text


def test_text_outside_chinese_mode_and_glyphs_beyond_the_font_are_errors():
    (slip,) = decode_job(b"\x1b@" + "张".encode("gb18030") + b"\n")
    assert any("outside Chinese mode" in e for e in slip.errors)
    (slip,) = decode_job(b"\x1b@\x1c&" + "䶮".encode("gb18030") + b"\n", charset="gbk")
    assert any("outside the printer's gbk font" in e for e in slip.errors)


def test_a_job_cut_off_inside_a_command_is_an_error():
    (slip,) = decode_job(b"\x1b@\x1c&" + "测试".encode("gb18030") + b"\n\x1dv0\x00\x10\x00")
    assert any("ends inside a command" in e for e in slip.errors)


def test_commands_split_across_tcp_segments_decode_the_same():
    from firmware_config.loader import builtin_profiles

    data = EscposPrinter(builtin_profiles()["pi5-usbcam-58mm"].printer).encode(
        sample_document("receipt")
    )
    whole = Parser().feed(data)
    p = Parser()
    pieces = [item for i in range(0, len(data), 7) for item in p.feed(data[i : i + 7])]
    merged_text = b"".join(
        x.data for x in pieces if hasattr(x, "data") and isinstance(x.data, bytes)
    )
    assert [type(x) for x in pieces if not hasattr(x, "data")] == [
        type(x) for x in whole if not hasattr(x, "data")
    ]
    assert merged_text == b"".join(
        x.data for x in whole if hasattr(x, "data") and isinstance(x.data, bytes)
    )


# -- DLE EOT mapping (pure) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("printer", "cause", "paper", "present", "ok", "state", "detail"),
    [
        (b"\x12", None, b"\x12", True, True, "ok", None),
        (b"\x12", None, b"\x1e", True, True, "near_end", "纸将用尽"),
        (b"\x1a", b"\x32", b"\x7e", True, False, "out", "缺纸"),
        (b"\x1a", b"\x16", b"\x12", True, False, "ok", "纸仓盖打开"),
        (b"\x1a", b"\x52", b"\x12", True, False, "ok", "打印机故障"),
        (b"", None, None, False, False, None, "无应答"),
        (b"\xff", None, None, True, False, None, "无法识别"),
    ],
)
def test_dle_eot_replies_map_to_device_status(printer, cause, paper, present, ok, state, detail):
    s = st.status_from_replies(printer, cause, paper)
    assert (s.present, s.ok, s.paper) == (present, ok, state)
    if detail:
        assert detail in (s.detail or "")
