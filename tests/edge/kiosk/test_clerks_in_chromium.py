"""Who acts at the window, in real headless Chromium on the shared window (conftest.py): the
roster comes from `bianmin hub clerks add` through a real rollout; a clerk signs in with the
PIN on the keypad (a wrong PIN is refused and counted); an agent files a case on a resident's
behalf with the resident's authorisation signed on the pad, and the forwarded case goes on
the agent's list to carry to the town; the clerk finds a resident by face among those
enrolled (1:N), confirms the candidate (the search never does) and chooses a 2-inch photo."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.edge.kiosk.pages import (
    cancel,
    choose,
    enter_number,
    in_hub,
    screen,
    shot,
    sign_in,
    sign_route_print_rate,
    slips_of,
    tick,
    type_pin,
)
from tests.edge.kiosk.stack import Stack, id_number, ref

pytestmark = pytest.mark.integration

FOR_AGENT = id_number("33012219660218005")
FACE_ONE = id_number("33012219590909006")  # enrolled here from a photo of one man
FACE_TWO = id_number("33012219700101007")  # and here from a photo of another


def _masked(number: str) -> str:
    return number[:1] + "*" * 16 + number[-1:]


def _wrong(pin: str) -> str:
    return pin[:-1] + str((int(pin[-1]) + 5) % 10)


def test_a_clerk_signs_in_with_the_pin_and_a_wrong_pin_is_refused(stack: Stack, page):
    """GIVEN the village's roster signed into the unit's configuration WHEN the clerk taps her
    name and types a wrong PIN THEN sign-in is refused, saying how many tries are left; the
    right PIN signs her in and the kiosk names her as 经办人."""
    if page.locator("#btn-sign-out").count():
        page.locator("#btn-sign-out").click()
    screen(page, "signin")
    clerk = stack.clerks["clerk"]
    assert page.locator("#clerk-choices button").count() == 2  # the clerk and the agent
    shot(page, "signin")
    page.locator(f'#clerk-choices button[data-clerk="{clerk["id"]}"]').click()
    type_pin(page, _wrong(clerk["pin"]))
    page.locator("#btn-sign-in").click()
    page.locator("#message", has_text="PIN不正确，还可尝试4次").wait_for()
    assert page.locator('main[data-screen="signin"]').count() == 1
    type_pin(page, clerk["pin"])
    shot(page, "signin-pin")
    page.locator("#btn-sign-in").click()
    page.locator("#btn-open").wait_for()
    assert page.locator("#clerk-name").inner_text() == "王芳"
    assert "窗口工作人员" in page.locator("#clerk-bar").inner_text()


def _tick_all(page) -> None:
    """Every material still needed: the original shown where that waives it, else received."""
    for row in page.locator(".mat").all():
        shown = row.locator('button[data-tick="shown"]')
        received = row.locator('button[data-tick="received"]')
        if shown.count():
            shown.click()
        elif received.count():
            received.click()


def test_an_agent_files_a_case_for_a_resident_and_has_it_to_carry_to_the_town(stack, page):
    """GIVEN the village's agent signed in WHEN he opens a case, the resident signs the 委托授权
    on the pad, and the case (a county department's matter) is forwarded THEN every transition
    names the agent, the authorisation's hash is on the consent, the receipt names him as 代办员,
    and the case is on his 待送件 list."""
    sign_in(page, stack, "agent")
    agent = stack.clerks["agent"]
    assert page.locator("#btn-open").inner_text() == "开始代办"
    page.locator("#agent-pending", has_text="待送件（0件）").wait_for()
    page.locator("#btn-open").click()
    screen(page, "consent")
    page.locator("#authorization", has_text="李强").wait_for()
    # the simulated pad signs by itself once grabbed; consent waits for the ink
    page.locator("#btn-consent-card:not([disabled])").wait_for()
    shot(page, "agent-authorization")
    page.locator("#btn-consent-card").click()
    screen(page, "identify")
    assert page.locator("#agent-tag").inner_text() == "代办"
    enter_number(page, FOR_AGENT)
    page.locator("#btn-card-ok").click()
    choose(page, "社会保险", "SOC-001")
    _tick_all(page)
    page.locator("#btn-accept:not([disabled])").click()
    case_ref = sign_route_print_rate(page, "agent-case")
    page.locator(f'#agent-pending .mat[data-case="{case_ref}"]').wait_for()
    pending = page.locator("#agent-pending").inner_text()
    assert "待送件（1件）" in pending
    assert "社会保障卡申领" in pending
    assert "县直部门" in pending
    shot(page, "agent-pending")

    events = in_hub(stack, case_ref)
    data = {e["state"]: e["body"]["data"] for e in events}
    assert all(e["body"]["data"]["agent"] == agent["id"] for e in events)
    assert all(e["body"]["data"]["clerk"] == agent["id"] for e in events)
    assert len(data["consented"]["authorization_sha256"]) == 64
    assert len(data["signed"]["signature_sha256"]) == 64  # the application's own signature
    assert sum("authorization_sha256" in e["body"]["data"] for e in events) == 1
    assert data["forwarded"] == {"to": "department", "clerk": agent["id"], "agent": agent["id"]}
    receipt = next(s for s in slips_of(stack, case_ref) if "受理回执" in "\n".join(s.lines))
    assert "经办人：李强（代办员）" in "".join(receipt.lines).replace(" ", "")


def _camera_framed(photo: Path, out: Path) -> Path:
    """The top of a tall portrait cut to the camera's 4:3, so the face fills the frame."""
    from PIL import Image

    with Image.open(photo) as im:
        w = im.width
        im.crop((0, 0, w, w * 3 // 4)).save(out)
    return out


def _enroll(page, stack: Stack, photo, number: str) -> None:
    stack.show(photo)
    page.locator("#btn-open").click()
    page.locator("#btn-consent-card").click()
    enter_number(page, number)
    page.locator("#btn-card-ok").click()
    screen(page, "matter")
    page.locator("#btn-enroll").click()
    page.locator("#enroll-done").wait_for(timeout=30_000)
    cancel(page)
    screen(page, "done")
    page.locator("#btn-next").click()
    screen(page, "home")


def test_a_resident_found_by_face_is_confirmed_by_the_clerk_who_chooses_a_2_inch_photo(
    stack, page, photo_dir, tmp_path
):
    """GIVEN two residents enrolled at this window WHEN the clerk searches by face (1:N) with a
    photo of one of them THEN the kiosk offers the candidates with their distances and margins,
    never picks one itself, lets the clerk confirm only a match, and the case records the pick;
    the clerk's 二寸 choice prints 2-inch ID photos."""
    sign_in(page, stack, "clerk")
    _enroll(page, stack, _camera_framed(photo_dir / "biden.jpg", tmp_path / "two.jpg"), FACE_TWO)
    _enroll(page, stack, photo_dir / "obama2.jpg", FACE_ONE)
    stack.show(photo_dir / "obama.jpg")  # another photo of the same man
    page.locator("#btn-open").click()
    page.locator("#btn-consent-face").click()
    screen(page, "identify")
    page.locator("#btn-face-search").click()
    page.locator("#candidates").wait_for(timeout=60_000)  # after the liveness challenge
    shot(page, "identify-search")
    assert page.locator('main[data-screen="identify"]').count() == 1  # nothing auto-accepted
    one = page.locator(".candidate", has_text=_masked(FACE_ONE))
    two = page.locator(".candidate", has_text=_masked(FACE_TWO))
    assert "比对距离" in one.inner_text()
    assert "与下一位相差" in page.locator("#candidates").inner_text()
    assert "超出阈值" in two.inner_text()
    assert two.locator("button[data-pick]").is_disabled()
    one.locator("button[data-pick]").click()

    choose(page, "养老", "ELD-001")
    tick(page, "申请表（窗口打印，本人签字）")
    tick(page, "居民身份证复印件", "shown")
    tick(page, "户口簿复印件")  # FACE_ONE is not in the county database
    page.locator('#photo-size button[data-photo="2inch"]').click()
    page.locator('#photo-size button.on[data-photo="2inch"]').wait_for()
    shot(page, "materials-photo-size")
    page.locator("#btn-accept").click()
    case_ref = sign_route_print_rate(page, "search-case")

    data = {e["state"]: e["body"]["data"] for e in in_hub(stack, case_ref)}
    identified = data["identified"]
    assert (identified["method"], identified["search"]) == ("face", "1:n")
    assert identified["applicant"] == ref(FACE_ONE)
    assert identified["id_masked"] == _masked(FACE_ONE)
    assert identified["search_candidates"] >= 2
    assert identified["distance"] < identified["threshold"]
    assert identified["clerk_confirmed"] is True  # a still photo fails liveness: she vouched
    assert data["materials_checked"]["photo"] == "2inch"
    photos = [s for s in stack.printer.slips if "证件照（二寸）" in "\n".join(s.lines)]
    assert photos, "2-inch ID photos print"
    assert photos[-1].rasters
