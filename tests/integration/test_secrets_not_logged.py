"""No secret reaches a log: with every logger at DEBUG, a run that provisions broker
credentials and starts a real Mosquitto, signs a person in to the hub (password, session,
CSRF token), uses API and unit tokens, and takes a case through a window signed in with a
clerk's PIN (ID-reference and signature keys in use) leaves none of those secrets in the
captured log records, nor in the broker's own log."""

from __future__ import annotations

import asyncio
import logging
import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts import sessions
from hub.accounts.roles import Role
from hub.accounts.store import add_account
from hub.app import create_app
from hub.settings import HubSettings
from hub.window.tokens import issue_unit_token
from protocol import identity
from tests.edge.window.desk import CLERK_PIN, ID_KEY, SIGNATURE_KEY, build_desk
from tests.support.signin import make_account, sign_in_client

NUMBER = "33012219610101004" + identity.check_digit("33012219610101004")


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> str:
    """A record's structured fields (hub.logs passes them as ``extra``)."""
    return repr({k: v for k, v in record.__dict__.items() if k not in _STANDARD})


def _window_case(tmp_path) -> None:
    desk = build_desk(tmp_path / "unit")
    w = desk.window

    async def scenario():
        await w.start()
        try:
            await desk.sign_in()
            await w.act("open", {})
            await w.act("consent", {"face": False})
            await w.act("id_number", {"number": NUMBER})
            await w.act("card_checked", {"method": "id_card"})
            await w.act("select_matter", {"code": "TST-001"})
            await w.act("materials", {"received": ["申请表", "银行账户信息", "户口簿复印件"],
                                      "shown": ["身份证复印件"], "decision": "accept"})  # fmt: skip
            await desk.until(lambda: w.steps.signing is not None and w.steps.signing.strokes, "ink")
            await w.act("sign_confirm", {})
            await w.act("route", {})
            await desk.until(lambda: w.case is None, "printing and the rating")
        finally:
            await w.close()
            await desk.store.event_log.close()

    asyncio.run(scenario())


def test_a_run_at_debug_logs_no_password_token_or_key(tmp_path, fresh_broker, caplog):
    caplog.set_level(logging.DEBUG)
    secrets: dict[str, str] = {}

    broker = fresh_broker(["t001"])  # provisioning's credentials, a real broker
    secrets["unit broker password"] = broker.creds.units["t001"]
    secrets["hub broker password"] = broker.creds.hub_password
    secrets["broker admin password"] = broker.process.config.admin_password

    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}", broker_url=None, data_dir=tmp_path
    )
    app = create_app(settings)
    password = make_account(app.state.engine, "ops-person", Role.OPERATOR)
    secrets["account password"] = password
    with Session(app.state.engine) as s:
        secrets["api token"] = add_account(s, name="robot", role=Role.OPERATOR)
        secrets["unit token"] = issue_unit_token(s, unit="t001")
        s.commit()
    with TestClient(app) as client:
        client.post("/login", data={"name": "ops-person", "password": password + "x"})
        sign_in_client(client, "ops-person", password)
        session_id = client.cookies.get(sessions.COOKIE)
        assert session_id is not None
        secrets["session id"] = session_id
        secrets["csrf token"] = sessions.csrf_token(session_id)
        assert client.get("/api/me").status_code == 200
        robot = {"Authorization": f"Bearer {secrets['api token']}"}
        assert client.get("/api/units", headers=robot).status_code == 200
        unit = {"Authorization": f"Bearer {secrets['unit token']}"}
        client.post("/api/unit/cases/owed", headers=unit, json={})
        client.get("/api/units", headers={"Authorization": "Bearer not-the-token-x9"})

    _window_case(tmp_path)
    secrets["clerk pin"] = CLERK_PIN
    secrets["id key"] = ID_KEY.hex()
    secrets["signature key"] = SIGNATURE_KEY.hex()
    secrets["id number"] = NUMBER

    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {_extra(r)}" for r in caplog.records
    )
    assert len(caplog.records) > 20  # DEBUG was on and the run logged
    broker_log = broker.process.log_path.read_text(errors="replace")
    leaked = [
        f"{what} in {where}"
        for what, secret in secrets.items()
        for where, text in (("the log", logged), ("the broker's log", broker_log))
        # whole tokens only: a 6-digit PIN may be part of a longer number by chance
        if secret and re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text)
    ]
    assert not leaked, leaked
    app.state.engine.dispose()
