"""What a clerk does on the kiosk page, step by step, for the browser tests; and the people of
the window's morning (their ID numbers are made up, with valid check digits)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.edge.kiosk.stack import Stack, id_number
from tests.support.waiting import wait_until

RESIDENT = id_number("33012219520315001")  # 70+: 老年人优待证
DEFERRED = id_number("33012219800704002")
BLACKLISTED = id_number("33012219751123003")
SHOTS = os.environ.get("BIANMIN_KIOSK_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def screen(page, name: str) -> None:
    page.locator(f'main[data-screen="{name}"]').wait_for()


def enter_number(page, number: str) -> None:
    for ch in number:
        page.locator(f'#keypad button[data-key="{ch}"]').click()
    assert page.locator("#id-number").inner_text() == number
    shot(page, "identify-number")
    page.locator("#btn-id-ok").click()


def choose(page, area: str, code: str) -> None:
    screen(page, "matter")
    page.locator(".tabs button", has_text=area).click()
    page.locator(f'button[data-code="{code}"]').click()
    screen(page, "materials")
    page.locator("#registry-state").filter(has_not_text="查询中").wait_for()


def tick(page, material: str, how: str = "received") -> None:
    page.locator(f'.mat[data-material="{material}"] button[data-tick="{how}"]').click()


def sign_route_print_rate(page, name: str) -> str:
    screen(page, "sign")
    page.locator("#btn-sign-ok:not([disabled])").wait_for()
    shot(page, f"{name}-sign")
    page.locator("#btn-sign-ok").click()
    screen(page, "route")
    shot(page, f"{name}-route")
    page.locator("#btn-route").click()
    screen(page, "rate")
    shot(page, f"{name}-rate")
    screen(page, "done")
    shot(page, f"{name}-done")
    case_ref = page.locator("dl.kv dd").first.inner_text()
    page.locator("#btn-next").click()
    screen(page, "home")
    return case_ref


def cancel(page, reason: str = "申请人临时有事") -> None:
    """取消办件: confirmed, with a reason."""
    page.locator("#btn-cancel").click()
    page.locator(f'#dialog-cancel button[data-reason="{reason}"]').click()
    page.locator("#dialog-cancel #btn-dialog-ok").click()


def in_hub(stack: Stack, case_ref: str, last: str = "closed") -> list[dict]:
    def arrived():
        events = stack.events(case_ref)
        return events if events and events[-1]["state"] == last else None

    return wait_until(arrived, 30, f"case {case_ref} in the hub")


def slips_of(stack: Stack, case_ref: str) -> list:
    return [s for s in stack.printer.slips if case_ref in "\n".join(s.lines)]


def qr_of(slip) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(slip.png)]


def sign_in(page, stack: Stack, role: str = "clerk") -> None:
    """Sign out whoever is signed in, then sign in as the roster's clerk (or agent)."""
    if page.locator("#btn-sign-out").count():
        page.locator("#btn-sign-out").click()
    screen(page, "signin")
    who = stack.clerks[role]
    page.locator(f'#clerk-choices button[data-clerk="{who["id"]}"]').click()
    type_pin(page, who["pin"])
    page.locator("#btn-sign-in").click()
    page.locator("#clerk-name", has_text=who["name"]).wait_for()


def type_pin(page, pin: str) -> None:
    for ch in pin:
        page.locator(f'#pin-keypad button[data-key="{ch}"]').click()
    assert page.locator("#pin-dots").inner_text() == "●" * len(pin)  # never the digits


def new_page(browser, url: str):
    """A fresh context (no cookies, no storage) and its page on ``url``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    return page
