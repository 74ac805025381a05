"""The kiosk's follow-up screens in headless Chromium, on a whole window (a unit process with
its kiosk, a `hub serve` process, Mosquitto): from the idle screen a clerk records 补齐 for a
case accepted at another village, found by pasting its slip's QR; a resident leaves a note in
the feedback book. Both reach the hub through the unit's event log and MQTT."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from hub.cases.project import RECORDS
from hub.feedback.tables import FEEDBACK
from tests.conftest import start_broker
from tests.edge.kiosk.pages import new_page, sign_in
from tests.edge.kiosk.stack import CHROMIUM, UNIT, Stack, start_stack
from tests.support.deficiency import TOKEN, seed_case
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory, photo_dir) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    root = tmp_path_factory.mktemp("followup-window")
    broker = start_broker(root / "mosquitto", [UNIT])
    s = start_stack(root, broker, photo_dir / "obama2.jpg", registry={}, blacklisted=[])
    try:
        yield s
    finally:
        s.close()
        broker.process.stop()


@pytest.fixture(scope="module")
def page(stack, browser):
    """The package's Chromium (conftest.py) on this module's window, the clerk signed in."""
    page = new_page(browser, stack.kiosk_url)
    page.locator('main[data-screen="signin"]').wait_for(timeout=60_000)
    sign_in(page, stack, "clerk")
    page.locator("#btn-open").wait_for()
    yield page
    page.context.close()


def _hub(stack):
    return create_engine(stack.database_url)


def test_a_clerk_records_the_supply_of_a_case_from_another_village(stack, page):
    engine = _hub(stack)
    try:
        case = seed_case(engine, unit="xinmin-cun")  # accepted at another village's window
        page.locator("#btn-supply").click()
        page.locator('#aside[data-screen="supply"]').wait_for()
        page.fill("#supply-code", f"{stack.hub_url}/c/{TOKEN}")  # what the QR scanner types
        page.locator("#btn-supply-scan").click()
        card = page.locator(f'.owed-case[data-case="{case.case_ref}"]')
        card.wait_for()
        for material in case.owed:
            card.locator(f'.mat[data-owed="{material}"] button').click()
        card.locator("button[data-record]").click()
        assert "材料已全部补齐" in page.locator("#supply-done").inner_text()
        page.locator("#btn-followup-back").click()
        page.locator("#btn-open").wait_for()

        def supplied():
            with engine.connect() as conn:
                r = conn.execute(select(RECORDS).where(RECORDS.c.case_id == case.case_id)).one()
            return r.deficiency == "supplied"

        wait_until(supplied, 30, "补齐 from the kiosk in the hub's case record")
        with engine.connect() as conn:
            (data,) = conn.execute(
                text("SELECT body FROM event WHERE unit = :u AND state = 'supplied'"), {"u": UNIT}
            ).scalars()
        body = data if isinstance(data, dict) else json.loads(data)
        assert body["data"]["clerk"] == stack.clerks["clerk"]["id"]  # who recorded it
    finally:
        engine.dispose()


def test_a_residents_note_in_the_feedback_book_reaches_the_hub(stack, page):
    page.locator("#btn-feedback").click()
    page.locator('#aside[data-screen="feedback"]').wait_for()
    assert page.locator("#btn-feedback-send").is_disabled()
    page.locator('#feedback-topics button[data-topic="facilities"]').click()
    page.locator('button[data-phrase="建议增加座位"]').click()
    page.fill("#feedback-ref", "DONGJIE-CUN-20261128-ABC123")
    page.locator("#btn-feedback-send").click()
    page.locator("#feedback-done").wait_for()
    page.locator("#btn-followup-back").click()
    page.locator("#btn-open").wait_for()
    engine = _hub(stack)
    try:

        def arrived():
            with engine.connect() as conn:
                return conn.execute(select(FEEDBACK).where(FEEDBACK.c.unit == UNIT)).all()

        (row,) = wait_until(arrived, 30, "the note in the hub's feedback table")
    finally:
        engine.dispose()
    assert (row.source, row.topic, row.text) == ("kiosk", "facilities", "建议增加座位")
    assert row.case_ref == "DONGJIE-CUN-20261128-ABC123"
