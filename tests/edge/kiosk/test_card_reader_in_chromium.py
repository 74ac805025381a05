"""读卡 in headless Chromium, on the package's window (a real unit process with simulated
devices): its ID-card reader is simulated on a pty and holds the demo card, whose chip photo
was made from the photo the camera started with. Someone else in front of the camera: the chip
photo does not match, nothing is accepted by itself, and the clerk's check identifies."""

from __future__ import annotations

import pytest

from simulators.devices.idcard import DEMO_NUMBER_17
from tests.edge.kiosk.pages import cancel, screen, shot, sign_in
from tests.edge.kiosk.stack import id_number, ref
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
NUMBER = id_number(DEMO_NUMBER_17)


def test_a_card_read_whose_chip_photo_does_not_match_is_left_to_the_clerk(stack, page, photo_dir):
    sign_in(page, stack, "clerk")
    stack.show(photo_dir / "biden.jpg")  # not the person on the card
    try:
        page.locator("#devices", has_text="读卡器").wait_for()
        assert "读卡器：正常" in page.locator("#devices").inner_text().replace(" ", "")
        page.locator("#btn-open").click()
        screen(page, "consent")
        page.locator("#btn-consent-face").click()
        screen(page, "identify")
        page.locator("#btn-card-read").click()
        compare = page.locator('#card-compare[data-compare="no_match"]')
        compare.wait_for(timeout=60_000)
        shot(page, "identify-card-no-match")
        assert "比对不一致" in compare.inner_text()
        assert "王**" in page.locator("#card-read").inner_text()
        assert page.locator("#id-masked").inner_text() == NUMBER[:1] + "*" * 16 + NUMBER[-1:]
        assert page.locator("#btn-card-presence").count() == 0  # nothing to vouch for
        page.locator("#btn-card-ok").click()
        screen(page, "matter")
        cancel(page)
        screen(page, "done")
        page.locator("#btn-next").click()
        screen(page, "home")
    finally:
        stack.show(photo_dir / "obama2.jpg")  # the photo the package's other tests start with

    def identified() -> dict:
        for e in stack.events():
            data = e["body"]["data"]
            if e["state"] == "identified" and data.get("applicant") == ref(NUMBER):
                return dict(data)
        return {}

    data = wait_until(identified, 30, "the identification in the hub's database")
    assert (data["method"], data["card_read"], data["chip_photo"]) == ("id_card", True, "no_match")
    assert data["distance"] >= data["threshold"]
    assert NUMBER not in str(stack.events())
