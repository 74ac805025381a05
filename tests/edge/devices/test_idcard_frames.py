"""The ID-card reader's frames and the card's fields, pure: what a good frame is, and that
every bad one (checksum, short, wrong length, garbage) is a clear DeviceError, never a crash."""

import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.devices.errors import DeviceError
from edge.devices.idcard import frames as f
from edge.devices.idcard.card import card_of, decode_text, encode_text, masked_name, split_base
from protocol import identity

NUMBER = "33012219800704002" + identity.check_digit("33012219800704002")


def test_requests_are_the_frames_readers_document():
    assert f.request(f.Command.FIND_CARD).hex(" ") == "aa aa aa 96 69 00 03 20 01 22"
    assert f.request(f.Command.SELECT_CARD).hex(" ") == "aa aa aa 96 69 00 03 20 02 21"
    assert f.request(f.Command.READ_BASE).hex(" ") == "aa aa aa 96 69 00 03 30 01 32"
    assert f.request(f.Command.SAM_STATUS).hex(" ") == "aa aa aa 96 69 00 03 11 ff ed"


def test_a_response_round_trips_with_its_status_and_payload():
    raw = f.response((0, 0, 0x90), b"\x01\x02")
    frame = f.parse(raw)
    assert (frame.status, frame.payload) == (0x90, b"\x01\x02")
    assert f.answer(raw) == b"\x01\x02"


def test_a_refusal_says_why_in_chinese():
    with pytest.raises(f.ReaderRefused) as refused:
        f.answer(f.response((0, 0, 0x80)), expect=f.Status.CARD_FOUND)
    assert refused.value.status == 0x80
    assert "未检测到身份证" in str(refused.value)


def test_a_bad_checksum_is_a_frame_error():
    raw = bytearray(f.response((0, 0, 0x90), b"abc"))
    raw[-1] ^= 0x01
    with pytest.raises(f.FrameError, match="checksum"):
        f.parse(bytes(raw))


def test_a_short_frame_is_a_frame_error():
    raw = f.response((0, 0, 0x90), b"abc")
    with pytest.raises(f.FrameError, match="got"):
        f.parse(raw[:-2])
    with pytest.raises(f.FrameError, match="header"):
        f.parse(raw[:4])


def test_a_length_that_disagrees_with_the_bytes_is_a_frame_error():
    raw = bytearray(f.response((0, 0, 0x90), b"abc"))
    raw[6] += 1
    with pytest.raises(f.FrameError):
        f.parse(bytes(raw))


def test_a_response_too_short_for_its_status_is_a_frame_error():
    with pytest.raises(f.FrameError, match="too short"):
        f.parse(f.request(f.Command.FIND_CARD)).status  # noqa: B018 -- 2 body bytes, no SW3


def test_a_length_out_of_range_is_refused_before_reading_on():
    with pytest.raises(f.FrameError, match="out of range"):
        f.frame_length(f.PREAMBLE + b"\xff\xff")


@given(st.binary(max_size=3000))
def test_garbage_is_a_device_error_never_a_crash(raw):
    with contextlib.suppress(DeviceError):
        f.answer(raw)


@given(st.binary(min_size=1, max_size=300), st.integers(0, 299), st.integers(1, 255))
def test_any_flipped_byte_of_a_good_frame_is_caught(payload, at, flip):
    raw = bytearray(f.response((0, 0, 0x90), payload))
    raw[at % len(raw)] ^= flip
    with pytest.raises(DeviceError):
        f.answer(bytes(raw))


@given(st.binary(max_size=1400))
def test_garbage_base_messages_are_device_errors(payload):
    with contextlib.suppress(DeviceError):
        card_of(split_base(payload).fields)


def _text(**over):
    fields = {"name": "王小明", "sex": "1", "nation": "01", "birth": "19800704",
              "address": "浙江省某县东街村1号", "number": NUMBER, "authority": "某县公安局",
              "valid_from": "20200101", "valid_until": "20400101"}  # fmt: skip
    return encode_text(fields | over)


def test_the_text_block_decodes_into_the_cards_fields():
    fields = decode_text(_text())
    card = card_of(fields)
    assert (card.number, card.name) == (NUMBER, "王小明")
    assert (card.valid_from, card.valid_until) == (date(2020, 1, 1), date(2040, 1, 1))
    assert fields["address"] == "浙江省某县东街村1号"


def test_a_card_without_end_date_never_expires():
    card = card_of(decode_text(_text(valid_until="长期")))
    assert card.valid_until is None
    assert not card.expired(date(2099, 1, 1))


def test_an_expired_card_says_so():
    card = card_of(decode_text(_text(valid_until="20200101")))
    assert card.expired(date(2020, 1, 2))
    assert not card.expired(date(2020, 1, 1))


def test_a_card_whose_number_fails_its_check_digit_is_refused():
    bad = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    with pytest.raises(f.FrameError, match="ID number"):
        card_of(decode_text(_text(number=bad)))


def test_the_base_message_sizes_must_be_the_cards():
    good = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + _text() + bytes(1024)
    assert len(split_base(good).wlt) == 1024
    with pytest.raises(f.FrameError, match="sizes"):
        split_base((255).to_bytes(2, "big") + good[2:])
    with pytest.raises(f.FrameError, match="says"):
        split_base(good[:-1])


def test_the_card_never_shows_its_number_or_name_in_its_repr():
    card = card_of(decode_text(_text()))
    assert NUMBER not in repr(card)
    assert "王小明" not in repr(card)


def test_a_name_is_masked_after_the_surname():
    assert masked_name("王小明") == "王**"
    assert masked_name("李") == "李"
