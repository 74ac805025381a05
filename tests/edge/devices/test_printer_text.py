"""Chinese text rules for the printer: cleaning, what the font covers, widths and wrapping."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.devices.printer import text as tx
from edge.devices.printer.document import Document, Field, Text
from edge.devices.printer.layout import Line, Paper, layout, preview


def test_yen_sign_becomes_the_full_width_one_gbk_printers_have():
    assert tx.clean("费用：¥0.00") == "费用：￥0.00"
    assert tx.encode("￥") == b"\xa3\xa4"


def test_control_characters_in_names_cannot_inject_printer_commands():
    assert tx.clean("张\x1b@三\x1d!\x11\n") == "张@三!"


@pytest.mark.parametrize(
    ("ch", "gb2312", "gbk", "gb18030"),
    [
        ("张", True, True, True),
        ("堃", False, True, True),  # common in names, not in GB2312
        ("䶮", False, False, True),  # CJK Ext-A: GB18030 only
        ("𬌗", False, False, True),  # Ext-E, a 4-byte GB18030 sequence
        ("€", False, False, True),  # Python's gbk codec has it as cp936 0x80; printers do not
        ("·", True, True, True),
    ],
)
def test_what_each_printer_charset_can_print_from_text_bytes(ch, gb2312, gbk, gb18030):
    assert [tx.printable(ch, cs) for cs in ("gb2312", "gbk", "gb18030")] == [gb2312, gbk, gb18030]


def test_non_ascii_characters_are_double_width_on_the_printer():
    assert tx.width("A1") == 2
    assert tx.width("张·—") == 6


def test_wrapping_keeps_closing_punctuation_off_the_start_of_a_line():
    lines = tx.wrap("一二三四五六七八九十，一二三", 20)
    assert lines == ["一二三四五六七八九", "十，一二三"]
    assert all(not line.startswith(tuple(tx.NO_LINE_START)) for line in lines)


def test_hanging_indent_and_long_urls_split_only_when_they_cannot_fit():
    lines = tx.wrap("请访问 https://bianmin.example/c/NL20261126-0037 查询", 20, indent=4)
    assert all(tx.width(line) <= 20 for line in lines)
    assert all(line.startswith("    ") for line in lines[1:])
    assert "".join(line.strip() for line in lines).replace(" ", "") == (
        "请访问https://bianmin.example/c/NL20261126-0037查询"
    )


@given(
    text=st.text(
        alphabet=st.sampled_from(list("便民服务受理回执，。（）：abc123-/ ")),
        min_size=0,
        max_size=120,
    ),
    cols=st.sampled_from([16, 24, 32, 48]),
)
def test_wrapped_lines_never_exceed_the_paper_and_lose_no_characters(text, cols):
    lines = tx.wrap(text, cols)
    assert all(tx.width(line) <= cols for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_line_with_a_character_beyond_the_font_is_marked_for_raster():
    doc = Document("t", (Field("申请人", "刘䶮"), Field("事项", "生育登记")))
    lines = [item for item in layout(doc, Paper(384, "gbk")) if isinstance(item, Line)]
    assert [line.raster for line in lines] == [True, False]
    gb18030 = [item for item in layout(doc, Paper(384, "gb18030")) if isinstance(item, Line)]
    assert not any(line.raster for line in gb18030)


def test_titles_at_double_size_wrap_at_half_the_columns():
    doc = Document("t", (Text("便民服务受理回执单据", align="center", scale=2),))
    lines = [item for item in layout(doc, Paper(384)) if isinstance(item, Line)]
    assert [line.text for line in lines] == ["便民服务受理回执", "单据"]


def test_preview_shows_the_slip_in_printer_columns():
    doc = Document("t", (Text("受理回执", align="center"), Field("受理编号", "NL-1")))
    assert preview(doc, Paper(384)).splitlines() == ["            受理回执", "受理编号：NL-1"]
