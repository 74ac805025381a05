"""The schema of a hardware profile. Code asks the profile; it never tests a model name."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CameraSpec(_Spec):
    backend: Literal["picamera2", "opencv", "file"]
    # picamera2: camera index; opencv: device index, path or URL; file: a glob of images
    source: int | str = 0
    width: PositiveInt = 1280
    height: PositiveInt = 960
    rotation: Literal[0, 90, 180, 270] = 0
    hflip: bool = False


class FaceSettings(_Spec):
    threads: Annotated[int, Field(ge=1, le=8)] = 2
    detect_min_score: Annotated[float, Field(gt=0, lt=1)] = 0.6
    min_face_px: Annotated[int, Field(ge=40)] = 80
    min_sharpness: Annotated[float, Field(ge=0)] = 40.0
    max_yaw_deg: Annotated[float, Field(gt=0, le=60)] = 25.0
    # The full-range detector runs when the short-range one is unsure: no face, or a face
    # scoring below this (gray and infrared frames, small or distant faces).
    detect_sure_score: Annotated[float, Field(gt=0, le=1)] = 0.75
    # Decision frames (enrolment, the probe, card photos) also run the full-range model on an
    # n x n grid of overlapping tiles, for faces down to ~24 px; 1 turns tiling off.
    detect_tiles: Annotated[int, Field(ge=1, le=4)] = 2
    # Decision frames are also searched on an exposure-normalised copy (CLAHE on the
    # luminance): bench/face_eval.py measured more faces found under backlight, dimness, glare
    # and blur, and no false ones. Per frame it found nothing more, so it never runs there.
    normalise_exposure: bool = True
    # Another face at least this fraction of the applicant's width is a second person at the
    # window (refused); smaller ones are far behind (a passer-by, a poster) and only reported.
    other_face_ratio: Annotated[float, Field(gt=0, le=1)] = 0.3
    # Mean luminance (0-255) of the face below this: too dark to verify.
    min_face_luma: Annotated[float, Field(ge=0, le=255)] = 45.0
    # Surroundings brighter than the face by this much (luminance) with a face below
    # backlit_face_luma: a window or doorway behind the applicant.
    backlit_contrast: Annotated[float, Field(ge=0, le=255)] = 70.0
    backlit_face_luma: Annotated[float, Field(ge=0, le=255)] = 100.0
    # Euclidean distance between 128-d embeddings; below it, the same person
    verify_threshold: Annotated[float, Field(gt=0, lt=2)] = 0.5
    id_photo_threshold: Annotated[float, Field(gt=0, lt=2)] = 0.55
    search_top_k: Annotated[int, Field(ge=1, le=20)] = 5
    search_margin: Annotated[float, Field(ge=0, lt=1)] = 0.08


class PadSpec(_Spec):
    device: str  # an evdev path, ideally a stable /dev/input/by-id/... name
    pressure_threshold: Annotated[int, Field(ge=0)] = 8
    swap_xy: bool = False
    invert_x: bool = False
    invert_y: bool = False


RatingLevel = Literal[1, 2, 3, 4, 5]


class RatingSpec(_Spec):
    device: str
    # evdev key name -> level (5 = 非常满意 ... 1 = 非常不满意)
    keymap: dict[str, RatingLevel]
    debounce_ms: Annotated[int, Field(ge=0, le=2000)] = 300
    timeout_s: Annotated[int, Field(ge=5, le=600)] = 60

    @model_validator(mode="after")
    def _every_level_once(self) -> RatingSpec:
        levels = sorted(self.keymap.values())
        if levels != [1, 2, 3, 4, 5]:
            raise ValueError(f"keymap must map exactly one key to each level 1..5, got {levels}")
        for key in self.keymap:
            if not key.startswith(("KEY_", "BTN_")):
                raise ValueError(
                    f"keymap key {key!r} is not an evdev key name (KEY_... or BTN_...)"
                )
        return self


class UsbTransport(_Spec):
    kind: Literal["usb"]
    vendor_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    product_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    # bulk endpoints; most ESC/POS printers use these, some clones use 0x81/0x02 or 0x81/0x03
    in_ep: Annotated[int, Field(ge=0x80, le=0x8F)] = 0x82
    out_ep: Annotated[int, Field(ge=0x00, le=0x0F)] = 0x01


class SerialTransport(_Spec):
    kind: Literal["serial"]
    device: str
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 9600
    # hardware flow control keeps a slow printer from dropping raster data; XON/XOFF is not
    # offered because image bytes contain 0x11/0x13
    flow_control: Literal["none", "dsrdtr", "rtscts"] = "dsrdtr"


class NetworkTransport(_Spec):
    kind: Literal["network"]
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 9100


class FileTransport(_Spec):
    kind: Literal["file"]
    path: str  # e.g. /dev/usb/lp0 when the usblp kernel driver owns the printer


Transport = Annotated[
    UsbTransport | SerialTransport | NetworkTransport | FileTransport, Field(discriminator="kind")
]


class PrinterSpec(_Spec):
    escpos_profile: str  # an entry of python-escpos's capabilities database
    paper_width_mm: Literal[58, 80]
    dots_per_line: Literal[384, 576]
    native_qr: bool = False  # GS ( k; many Chinese 58 mm firmwares lack it
    # what the printer's built-in font covers; lines with other characters print as images
    charset: Literal["gb2312", "gbk", "gb18030"] = "gbk"
    cut: bool = True
    transport: Transport

    @model_validator(mode="after")
    def _width_matches_paper(self) -> PrinterSpec:
        expected = {58: 384, 80: 576}[self.paper_width_mm]
        if self.dots_per_line != expected:
            raise ValueError(
                f"{self.paper_width_mm} mm paper at 203 dpi has {expected} dots per line, "
                f"not {self.dots_per_line}"
            )
        return self


class WltDecoderSpec(_Spec):
    """The ID-card reader vendor's chip-photo decoder (edge.devices.idcard.wlt)."""

    library: str  # path of the shared library, e.g. /opt/idcard/libwlt2bmp.so
    # int fn(const unsigned char *wlt, unsigned char *bmp, int bmp_len), writing a BMP
    symbol: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")] = "wlt2bmp_buffer"


class IdCardSpec(_Spec):
    """A second-generation ID-card reader (二代证阅读器) on a USB-serial port."""

    device: str  # ideally a stable /dev/serial/by-id/... name
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    # how long the 读卡 action waits for a card to be laid on the reader
    wait_s: Annotated[float, Field(gt=0, le=120)] = 15.0
    # without a decoder the card is read without its photo: the clerk compares by eye
    decoder: WltDecoderSpec | None = None


class PiConfig(_Spec):
    # Lines of the Pi's config.txt; on balena they become BALENA_HOST_CONFIG_<key> variables.
    config_txt: dict[str, str | list[str]] = Field(default_factory=dict)


class HardwareProfile(_Spec):
    schema_version: Literal[1] = 1
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    description: str
    board: Literal["raspberrypi4-64", "raspberrypi5", "generic-amd64"]
    camera: CameraSpec
    face: FaceSettings = FaceSettings()
    pad: PadSpec
    rating: RatingSpec
    printer: PrinterSpec
    idcard: IdCardSpec | None = None  # None: no card reader; the clerk checks cards by eye
    pi: PiConfig = PiConfig()
