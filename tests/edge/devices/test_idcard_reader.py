"""The serial driver against the simulated reader on a pty (the same SAM frames a reader sends
over USB-serial), and the vendor-decoder path through ctypes against a compiled stand-in."""

import shutil
import subprocess
import threading
import time

import numpy as np
import pytest

from edge.devices.errors import DeviceNotFound, DeviceTimeout
from edge.devices.idcard.frames import FrameError
from edge.devices.idcard.reader import NO_DECODER, SerialIdCardReader
from edge.devices.idcard.wlt import DecoderUnavailable, VendorWltDecoder
from firmware_config.schema import IdCardSpec, WltDecoderSpec
from protocol import identity
from simulators.devices.idcard import (
    SimCard,
    SimulatedIdCardReader,
    SimulatedWltDecoder,
    encode_chip,
)

NUMBER = "33012219800704002" + identity.check_digit("33012219800704002")
PHOTO = np.tile(np.linspace(0, 255, 102, dtype=np.uint8)[None, :, None], (126, 1, 3))


@pytest.fixture
def sim():
    s = SimulatedIdCardReader().start()
    yield s
    s.stop()


def card(**over) -> SimCard:
    fields = {"number": NUMBER, "name": "王小明", "chip": encode_chip(PHOTO)}
    return SimCard(**(fields | over))


def test_a_card_on_the_reader_is_read_with_its_photo(sim):
    sim.place(card())
    read = SerialIdCardReader(sim.spec(), decoder=SimulatedWltDecoder()).read(2)
    assert (read.number, read.name, read.photo_note) == (NUMBER, "王小明", "")
    assert read.photo is not None
    assert read.photo.shape == (126, 102, 3)
    # the chip holds a 1 KB JPEG: close to the photo, not equal
    assert float(np.abs(read.photo.astype(int) - PHOTO.astype(int)).mean()) < 12


def test_a_card_laid_on_while_waiting_is_read(sim):
    reader = SerialIdCardReader(sim.spec(), decoder=SimulatedWltDecoder())
    threading.Timer(0.5, sim.place, (card(),)).start()
    t0 = time.monotonic()
    assert reader.read(5).number == NUMBER
    assert time.monotonic() - t0 >= 0.4


def test_no_card_within_the_wait_is_a_timeout_in_chinese(sim):
    with pytest.raises(DeviceTimeout, match="未读到身份证"):
        SerialIdCardReader(sim.spec()).read(0.7)


def test_a_stopped_wait_ends_at_once(sim):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Exception, match="已取消读卡"):
        SerialIdCardReader(sim.spec()).read(10, stop)


def test_without_a_decoder_the_card_is_read_without_its_photo(sim):
    sim.place(card())
    read = SerialIdCardReader(sim.spec()).read(2)
    assert read.number == NUMBER
    assert (read.photo, read.photo_note) == (None, NO_DECODER)


def test_a_card_without_a_photo_says_so(sim):
    sim.place(card(chip=None))
    read = SerialIdCardReader(sim.spec(), decoder=SimulatedWltDecoder()).read(2)
    assert (read.photo, read.photo_note) == (None, "证件中没有照片")


def test_a_reader_that_answers_nothing_is_a_timeout(sim):
    sim.mute = True
    with pytest.raises(DeviceTimeout, match="无应答"):
        SerialIdCardReader(sim.spec()).read(3)


def test_a_reader_answering_with_bad_checksums_is_a_frame_error(sim):
    sim.place(card())
    sim.corrupt = True
    with pytest.raises(FrameError, match="checksum"):
        SerialIdCardReader(sim.spec()).read(3)


def test_status_is_ok_when_the_sam_answers_and_says_when_photos_cannot_be_compared(sim):
    status = SerialIdCardReader(sim.spec()).status()
    assert (status.present, status.ok, status.detail) == (True, True, NO_DECODER)
    with_decoder = SerialIdCardReader(sim.spec(), decoder=SimulatedWltDecoder()).status()
    assert (with_decoder.ok, with_decoder.detail) == (True, None)


def test_a_reader_that_is_not_plugged_in_is_absent(tmp_path):
    spec = IdCardSpec(device=str(tmp_path / "ttyUSB9"))
    status = SerialIdCardReader(spec).status()
    assert (status.present, status.ok) == (False, False)
    with pytest.raises(DeviceNotFound):
        SerialIdCardReader(spec).read(1)


def test_a_silent_reader_is_present_but_not_ok(sim):
    sim.mute = True
    status = SerialIdCardReader(sim.spec()).status()
    assert (status.present, status.ok) == (True, False)


DECODER_C = r"""
#include <string.h>
/* A stand-in for a vendor's WLT decoder: a 102x126 24-bit BMP, every pixel grey wlt[0];
   wlt[0] == 255 fails. */
int wlt2bmp_buffer(const unsigned char *wlt, unsigned char *bmp, int len) {
    const int w = 102, h = 126, row = (w * 3 + 3) & ~3, size = 54 + row * h;
    if (wlt[0] == 255) return -2;
    if (len < size) return -1;
    memset(bmp, 0, size);
    bmp[0] = 'B'; bmp[1] = 'M';
    bmp[2] = size & 255; bmp[3] = (size >> 8) & 255; bmp[4] = size >> 16;
    bmp[10] = 54; bmp[14] = 40; bmp[18] = w; bmp[22] = h; bmp[26] = 1; bmp[28] = 24;
    for (int y = 0; y < h; y++) memset(bmp + 54 + y * row, wlt[0], w * 3);
    return 1;
}
"""


@pytest.fixture(scope="module")
def vendor_library(tmp_path_factory):
    d = tmp_path_factory.mktemp("vendor")
    (d / "decoder.c").write_text(DECODER_C)
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler (tools/bootstrap-system test installs gcc)"
    lib = d / "libwlt2bmp.so"
    subprocess.run(
        [cc, "-shared", "-fPIC", "-O1", "-o", str(lib), str(d / "decoder.c")], check=True
    )
    return lib


def test_the_vendor_decoder_is_called_through_ctypes(vendor_library):
    decoder = VendorWltDecoder(WltDecoderSpec(library=str(vendor_library)))
    photo = decoder.decode(bytes([77]) + bytes(1023))
    assert photo.shape == (126, 102, 3)
    assert set(np.unique(photo)) == {77}


def test_a_failing_vendor_decoder_is_a_decoder_error(vendor_library):
    decoder = VendorWltDecoder(WltDecoderSpec(library=str(vendor_library)))
    with pytest.raises(DecoderUnavailable, match="返回 -2"):
        decoder.decode(bytes([255]) + bytes(1023))


def test_a_missing_library_or_function_is_a_decoder_error(vendor_library, tmp_path):
    missing = VendorWltDecoder(WltDecoderSpec(library=str(tmp_path / "nope.so")))
    with pytest.raises(DecoderUnavailable, match="无法加载"):
        missing.decode(bytes(1024))
    wrong = VendorWltDecoder(WltDecoderSpec(library=str(vendor_library), symbol="unpack"))
    with pytest.raises(DecoderUnavailable, match="没有函数 unpack"):
        wrong.decode(bytes(1024))


def test_the_profiles_decoder_decodes_a_card_read_from_the_reader(sim, vendor_library):
    sim.place(card(chip=bytes([90]) + bytes(1023)))
    spec = sim.spec(decoder=WltDecoderSpec(library=str(vendor_library)))
    read = SerialIdCardReader(spec).read(2)
    assert read.photo is not None
    assert set(np.unique(read.photo)) == {90}


def test_status_says_when_the_profiles_decoder_cannot_be_loaded(sim, tmp_path):
    spec = sim.spec(decoder=WltDecoderSpec(library=str(tmp_path / "missing.so")))
    status = SerialIdCardReader(spec).status()
    assert (status.present, status.ok) == (True, True)  # cards are still read
    assert status.detail is not None
    assert "照片解码库无法加载" in status.detail


def test_a_decoder_that_cannot_load_leaves_the_card_readable(sim, tmp_path):
    sim.place(card())
    spec = sim.spec(decoder=WltDecoderSpec(library=str(tmp_path / "missing.so")))
    read = SerialIdCardReader(spec).read(2)
    assert read.number == NUMBER
    assert read.photo is None
    assert "无法加载" in read.photo_note
