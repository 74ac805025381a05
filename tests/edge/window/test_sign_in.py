"""Signing in at a window in this process: nothing happens to a case without a signed-in clerk,
a unit without a roster says why it opens no case, wrong PINs lock sign-in for the roster's
lock-out time (also across a restart), an idle clerk is signed out, and so is a clerk the
hub's next configuration no longer lists."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from edge.kiosk import view
from edge.workflow import errors as e
from tests.edge.window.desk import AGENT, CLERK, CLERK_PIN, ROSTER, build_desk


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _run(desk, scenario):
    async def main():
        await desk.window.start()
        try:
            await scenario()
        finally:
            await desk.window.close()
            await desk.store.event_log.close()

    asyncio.run(main())


def test_no_case_opens_before_a_clerk_signs_in(tmp_path):
    desk = build_desk(tmp_path)
    w = desk.window

    async def scenario():
        assert view.build(w, {})["screen"] == "signin"
        for action in ("open", "consent", "cancel"):
            with pytest.raises(e.SignInRequired):
                await w.act(action, {})
        await desk.sign_in()
        doc = view.build(w, {})
        assert (doc["screen"], doc["clerk"]["on_duty"]["name"]) == ("home", "王芳")
        assert "choices" not in doc["clerk"]
        await w.act("open", {})
        await w.act("sign_out", {})
        assert view.build(w, {})["screen"] == "signin"  # over the open case
        with pytest.raises(e.SignInRequired):
            await w.act("consent", {"face": False})

    _run(desk, scenario)
    assert [s.value for s in desk.store.states] == ["opened"]


def test_a_unit_without_a_roster_says_why_it_opens_no_case(tmp_path):
    desk = build_desk(tmp_path, roster=None)
    w = desk.window

    async def scenario():
        doc = view.build(w, {})
        assert doc["screen"] == "home"
        assert "名册" in doc["no_roster"]
        with pytest.raises(e.NoRoster, match="暂不能办件"):
            await w.act("open", {})
        with pytest.raises(e.NoRoster):
            await w.act("sign_in", {"clerk": CLERK, "pin": CLERK_PIN})

    _run(desk, scenario)
    assert desk.store.states == []


def test_wrong_pins_lock_sign_in_for_the_lockout_even_across_a_restart(tmp_path):
    clock = Clock()
    desk = build_desk(tmp_path, clock=clock)
    w = desk.window

    async def wrong_twice_then_locked():
        for left in (2, 1):
            with pytest.raises(e.SignInRefused, match=f"还可尝试{left}次"):
                await w.act("sign_in", {"clerk": CLERK, "pin": "999999"})
        # another name does not reset the count: wrong PINs count for the kiosk
        with pytest.raises(e.SignInRefused, match="已锁定，请5分钟后再试"):
            await w.act("sign_in", {"clerk": AGENT, "pin": "999999"})
        assert view.build(w, {})["clerk"]["locked_s"] == ROSTER.lockout_s
        with pytest.raises(e.SignInRefused, match="已锁定"):  # the right PIN too, while locked
            await w.act("sign_in", {"clerk": CLERK, "pin": CLERK_PIN})

    _run(desk, wrong_twice_then_locked)
    clock.advance(ROSTER.lockout_s - 10)
    again = build_desk(tmp_path, clock=clock)  # the unit restarted: still locked

    async def after_restart():
        with pytest.raises(e.SignInRefused, match="已锁定，请1分钟后再试"):
            await again.window.act("sign_in", {"clerk": CLERK, "pin": CLERK_PIN})
        clock.advance(11)
        await again.sign_in()
        assert again.window.clerks.current() is not None

    _run(again, after_restart)


def test_unknown_clerks_and_malformed_pins_are_refused(tmp_path):
    desk = build_desk(tmp_path)

    async def scenario():
        with pytest.raises(e.SignInRefused, match="不在本窗口名册"):
            await desk.window.act("sign_in", {"clerk": "ck-deadbeef", "pin": CLERK_PIN})
        for pin in ("", "28571", "2857140", "abcdef", None, 285714):
            with pytest.raises(e.SignInRefused):
                await desk.window.act("sign_in", {"clerk": CLERK, "pin": pin})

    _run(desk, scenario)


def test_an_idle_clerk_is_signed_out_and_activity_keeps_them_in(tmp_path):
    clock = Clock()
    desk = build_desk(tmp_path, clock=clock)
    w = desk.window

    async def scenario():
        await desk.sign_in()
        clock.advance(ROSTER.idle_sign_out_s - 1)
        await w.act("open", {})  # activity: the idle time starts again
        clock.advance(ROSTER.idle_sign_out_s - 1)
        assert w.clerks.current() is not None
        clock.advance(2)
        assert w.clerks.current() is None
        with pytest.raises(e.SignInRequired):
            await w.act("consent", {"face": False})

    _run(desk, scenario)


def test_a_clerk_the_new_configuration_leaves_out_is_signed_out(tmp_path):
    desk = build_desk(tmp_path)
    w = desk.window
    running = w.p.config()
    assert running is not None

    async def scenario():
        await desk.sign_in()
        kept = ROSTER.model_copy(update={"clerks": ROSTER.clerks[1:]})  # the agent only
        body = running.body.model_copy(update={"clerks": kept})
        swapped = type(running)(**{**running.__dict__, "body": body})
        w.p.config = lambda: swapped
        assert w.clerks.current() is None
        with pytest.raises(e.SignInRequired):
            await w.act("open", {})
        with pytest.raises(e.SignInRefused):
            await desk.sign_in(CLERK)

    _run(desk, scenario)
