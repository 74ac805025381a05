"""读卡 at the window: the simulated reader on a pty, the real LiteRT models, a simulated camera
showing a real photo. The card's number becomes the ID reference (never stored); its chip photo
is compared with the live face at the profile's id_photo_threshold; a match identifies, no match
is never accepted (the clerk's check, recorded as such), no decoder leaves the clerk's check."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from edge.camera.file import FileCamera
from edge.devices.idcard.reader import SerialIdCardReader
from edge.face import models
from edge.face.errors import ModelMissing
from edge.face.pipeline import FacePipeline, load_image
from edge.face.service import LocalFaceService
from edge.face.templates import TemplateStore
from edge.kiosk import view
from edge.window.camera import CameraDevice
from firmware_config import builtin_profiles
from protocol import identity
from protocol.messages import CaseEnvelope
from simulators import face_photos
from simulators.devices.idcard import (
    SimCard,
    SimulatedIdCardReader,
    SimulatedWltDecoder,
    chip_photo,
    encode_chip,
)
from tests.conftest import _require
from tests.edge.window.desk import Desk, build_desk

NUMBER = "33012219800704002" + identity.check_digit("33012219800704002")
ROOT = Path(__file__).resolve().parents[3]
PROFILE = builtin_profiles()["pi4-cm3-80mm"]  # id_photo_threshold 0.54


@pytest.fixture(scope="module")
def photos() -> Path:
    try:
        return face_photos.fetch(ROOT / ".cache" / "face-test-photos")
    except face_photos.PhotosUnavailable as exc:
        _require("face test photos", str(exc))
        raise


@pytest.fixture(scope="module")
def pipeline() -> FacePipeline:
    try:
        for m in models.ALL:
            models.locate(m)
    except ModelMissing as exc:
        _require("face models", f"{exc} (`make models` builds them)")
    return FacePipeline(PROFILE.face, variant="int8", threads=1)


@pytest.fixture
def reader():
    sim = SimulatedIdCardReader().start()
    yield sim
    sim.stop()


def chip_of(pipeline: FacePipeline, path: Path) -> bytes:
    frame = load_image(path)
    d = pipeline.single_face(frame)
    return encode_chip(chip_photo(frame, (d.x0, d.y0, d.width, d.height)))


def desk_with(
    tmp_path: Path, sim: SimulatedIdCardReader, pipeline: FacePipeline, shown: Path, *,
    decoder: bool = True,
) -> Desk:  # fmt: skip
    face = LocalFaceService(pipeline, TemplateStore(tmp_path / "t.sqlite3", bytes(32)))
    camera = CameraDevice(FileCamera(str(shown), 640, 480), "test")
    idcard = SerialIdCardReader(
        sim.spec(wait_s=3), decoder=SimulatedWltDecoder() if decoder else None
    )
    return build_desk(tmp_path, idcard=idcard, face=face, camera=camera)


def identified(desk: Desk) -> dict:
    db = sqlite3.connect(desk.store.event_log.path)  # type: ignore[attr-defined]
    try:
        rows = db.execute("SELECT payload FROM events ORDER BY seq").fetchall()
    finally:
        db.close()
    bodies = [CaseEnvelope.model_validate(json.loads(r[0])).body for r in rows]
    return next(b.data for b in bodies if b.state == "identified")


async def read_card(desk: Desk, *, face: bool = True) -> None:
    w = desk.window
    await desk.sign_in()
    await w.act("open", {})
    await w.act("consent", {"face": face})
    await w.act("card_read", {})
    await desk.until(
        lambda: (
            (w.case is not None and w.case.state.value == "identified")
            or (w.draft.card is not None and w.draft.card.compare not in ("busy",))
            or w.draft.card_error is not None
        ),
        "the card read and compared",
        timeout=60,
    )


def run(desk: Desk, scenario) -> None:
    async def go():
        await desk.window.start()
        try:
            await scenario(desk.window)
        finally:
            await desk.window.close()

    asyncio.run(go())


def test_the_right_person_matches_their_own_chip_photo(tmp_path, reader, pipeline, photos):
    """GIVEN obama's card on the reader and obama in front of the camera (a still photo, so
    the liveness challenge fails) WHEN the clerk reads the card THEN the chip photo matches and
    the clerk's confirmation of presence identifies by ID card with the comparison.

    The camera shows the picture the chip was made from (distance ~0.47). A different picture
    of obama, the real situation, is not accepted at the calibrated 0.54: every pair of his
    three pictures, chip vs live, measures 0.554-0.612 with a 1 KB chip, above the nearest
    impostor the threshold has to stay under (docs/face.md#known-limits)."""
    reader.place(
        SimCard(number=NUMBER, name="王小明", chip=chip_of(pipeline, photos / "obama.jpg"))
    )
    desk = desk_with(tmp_path, reader, pipeline, photos / "obama.jpg")

    async def scenario(w):
        await read_card(desk)
        card = w.draft.card
        assert (card.compare, card.name_masked) == ("match", "王**")
        assert card.outcome.liveness.startswith("failed:")
        shown = view.build(w, {})["identify"]["card"]["read"]
        assert (shown["compare"], shown["name"]) == ("match", "王**")
        assert NUMBER not in json.dumps(view.build(w, {}), ensure_ascii=False)
        await w.act("card_confirm_presence", {})
        assert w.case.applicant.method.value == "id_card"

    run(desk, scenario)
    data = identified(desk)
    assert data["method"] == "id_card"
    assert (data["card_read"], data["chip_photo"], data["reference"]) == (
        True, "match", "id_card_photo",
    )  # fmt: skip
    assert data["distance"] < data["threshold"] == PROFILE.face.id_photo_threshold
    assert data["clerk_confirmed"] is True
    assert data["applicant"] == identity.reference(NUMBER, b"0123456789abcdef")
    assert data["id_masked"] == identity.mask(NUMBER)


def test_another_persons_chip_photo_is_no_match_and_only_the_clerk_identifies(
    tmp_path, reader, pipeline, photos
):
    reader.place(
        SimCard(number=NUMBER, name="王小明", chip=chip_of(pipeline, photos / "biden.jpg"))
    )
    desk = desk_with(tmp_path, reader, pipeline, photos / "obama.jpg")

    async def scenario(w):
        await read_card(desk)
        assert w.draft.card.compare == "no_match"
        assert w.case.state.value == "consented"  # never accepted by itself
        with pytest.raises(Exception, match="比对未通过"):
            await w.act("card_confirm_presence", {})
        await w.act("card_checked", {"method": "id_card"})

    run(desk, scenario)
    data = identified(desk)
    assert (data["method"], data["chip_photo"], data["reference"]) == (
        "id_card", "no_match", "id_card_photo",
    )  # fmt: skip
    assert data["distance"] >= data["threshold"]
    case = desk.window.case
    assert case is not None
    assert case.applicant is not None
    assert case.applicant.face is None  # a failed comparison is not the applicant's face check


def test_without_a_decoder_the_card_fills_the_number_and_the_clerk_checks(
    tmp_path, reader, pipeline, photos
):
    reader.place(
        SimCard(number=NUMBER, name="王小明", chip=chip_of(pipeline, photos / "obama.jpg"))
    )
    desk = desk_with(tmp_path, reader, pipeline, photos / "obama.jpg", decoder=False)

    async def scenario(w):
        await read_card(desk)
        assert w.draft.card.compare == "no_photo"
        assert "未配置照片解码库" in w.draft.card.note
        assert w.draft.id_masked == identity.mask(NUMBER)
        await w.act("card_checked", {"method": "id_card"})

    run(desk, scenario)
    data = identified(desk)
    assert (data["method"], data["card_read"], data["chip_photo"]) == ("id_card", True, "no_photo")
    assert "distance" not in data


def test_an_expired_card_is_refused_with_its_date(tmp_path, reader, pipeline, photos):
    from datetime import date

    reader.place(SimCard(number=NUMBER, name="王小明", valid_until=date(2020, 1, 1)))
    desk = desk_with(tmp_path, reader, pipeline, photos / "obama.jpg")

    async def scenario(w):
        await read_card(desk)
        assert "已过期" in w.draft.card_error
        assert w.draft.id_ref is None

    run(desk, scenario)


def test_no_card_on_the_reader_says_so_and_nothing_is_recorded(tmp_path, reader, pipeline, photos):
    desk = desk_with(tmp_path, reader, pipeline, photos / "obama.jpg")

    async def scenario(w):
        await read_card(desk, face=False)
        assert "未读到身份证" in w.draft.card_error

    run(desk, scenario)
    assert [s.value for s in desk.store.states] == ["opened", "consented"]
