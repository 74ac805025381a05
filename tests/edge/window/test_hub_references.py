"""A window that holds no reference key (every unit provisioned since issue 17): the typed
number's reference comes from a real hub, blinded, and is the hub's own; with the hub away the
clerk is told so in Chinese and nothing is recorded, unless the unit has the hub's seal key
(protocol.idseal, edge.window.pending): then the case goes on with a pending reference, without
容缺 or a registry waiver, and once the hub is back it gets the very reference an online
identification gives, while the unit's database held nothing to test a candidate against."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from edge.devices.idcard.reader import SerialIdCardReader
from edge.kiosk import view
from edge.window import pending
from edge.window.pending import PENDING_NOTICE
from edge.window.references import ReferenceClient, ReferenceUnavailable
from hub.app import create_app
from hub.settings import HubSettings
from hub.window.idkey import read_id_key, seal_public_key
from hub.window.tokens import issue_unit_token
from protocol import identity, idref
from protocol.case import REFERENCE_RESOLVED_STATE
from provisioning.mosquitto import free_port
from simulators.devices.idcard import SimCard, SimulatedIdCardReader
from tests.edge.window.desk import UNIT, build_desk
from tests.edge.window.test_window import RECEIVED, _sign
from tests.support.hubserver import serve

NUMBER = "33012219610101004" + identity.check_digit("33012219610101004")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A served hub (SQLite) and a token of the desk's unit."""
    root = tmp_path_factory.mktemp("hub")
    app = create_app(HubSettings(database_url=f"sqlite:///{root / 'hub.db'}", data_dir=root))
    with serve(app) as url:  # one lifespan: a TestClient around it would start a second
        with Session(app.state.engine) as s:
            token = issue_unit_token(s, unit=UNIT)
            s.commit()
        yield url, token, app.state.settings


async def _identify(tmp_path, references: ReferenceClient):
    """A desk with no key, its number typed; with the refusal if there was one."""
    desk = build_desk(tmp_path)
    w = desk.window
    w.p.id_key, w.p.references = None, references
    await desk.sign_in()
    await w.act("open", {})
    await w.act("consent", {"face": False})
    try:
        await w.act("id_number", {"number": NUMBER})
    except ReferenceUnavailable as exc:
        return desk, exc
    return desk, None


def test_the_window_identifies_by_a_reference_only_the_hub_can_make(hub, tmp_path):
    url, token, settings = hub
    desk, refused = asyncio.run(_identify(tmp_path, ReferenceClient(url, token)))
    assert refused is None
    key = read_id_key(settings.id_key_path, strict=False)
    assert desk.window.draft.id_ref == identity.reference(NUMBER, key)
    assert desk.window.draft.id_masked == identity.mask(NUMBER)


def test_without_the_hub_the_clerk_is_told_and_nothing_is_recorded(hub, tmp_path):
    _, token, _ = hub
    away = ReferenceClient(f"http://127.0.0.1:{free_port()}", token, timeout_s=1)
    desk, refused = asyncio.run(_identify(tmp_path, away))
    assert refused is not None
    assert refused.message_zh == "暂时无法连接县级平台核验身份证号码，请稍后重试"
    assert desk.window.draft.id_ref is None
    assert [str(s) for s in desk.store.states] == ["opened", "consented"]


def _desk_while_the_hub_is_away(tmp_path, token, settings, **parts):
    """A desk with no key, the hub's seal key, and a reference client whose hub is gone."""
    desk = build_desk(tmp_path, **parts)
    away = ReferenceClient(f"http://127.0.0.1:{free_port()}", token, timeout_s=1)
    desk.window.p.id_key, desk.window.p.references = None, away
    desk.window.p.seal_key = seal_public_key(settings)
    return desk


def test_a_case_typed_while_the_hub_is_away_gets_the_online_reference_later(hub, tmp_path):
    url, token, settings = hub
    desk = _desk_while_the_hub_is_away(tmp_path, token, settings)
    w = desk.window

    async def offline_case():
        await w.start()
        try:
            await desk.sign_in()
            await w.act("open", {})
            await w.act("consent", {"face": False})
            await w.act("id_number", {"number": NUMBER})
            assert w.draft.id_pending
            assert w.draft.id_ref is None
            assert w.draft.id_masked == identity.mask(NUMBER)
            shown = view.build(w, {})
            assert shown["identify"]["pending"] is True
            assert shown["message"]["text"] == PENDING_NOTICE
            await w.act("card_checked", {"method": "id_card"})
            await w.act("select_matter", {"code": "TST-001"})
            await desk.until(lambda: w.draft.registry_state == "unreachable", "no registry")
            assert w.draft.registry_reason is not None
            assert "出示" in w.draft.registry_reason
            materials = view.build(w, {})["materials"]
            assert materials["green_channel"] == "refused_pending_reference"
            assert "不适用容缺受理" in materials["green_channel_text"]
            await w.act(
                "materials", {"received": RECEIVED, "shown": ["身份证复印件"], "decision": "accept"}
            )
            assert w.case is not None
            assert w.case.applicant is not None
            assert w.case.applicant.ref is None
            await _sign(desk)
            await w.act("route", {})
            await desk.until(lambda: w.case is None and w.last_closed is not None, "closing")
        finally:
            await w.close()

    asyncio.run(offline_case())
    states = [s.value for s in desk.store.states]
    assert states[-1] == "closed"
    assert "deficiency_accepted" not in states

    # the unit's database now: no number, no H(n), in any form
    raw = (tmp_path / "outbox.sqlite3").read_bytes()
    h = idref.to_hex(idref.hash_to_group(NUMBER))
    for needle in (NUMBER.encode(), h.encode(), bytes.fromhex(h)):
        assert needle not in raw
    assert len(pending.pending(w.p)) == 1

    # the hub is back: the late reference is the online one, recorded as an event about the case
    back = ReferenceClient(url, token)
    done = asyncio.run(pending.resolve(w.p, back, lambda: frozenset(), lambda: datetime.now(UTC)))
    assert done == 1
    assert pending.pending(w.p) == []
    key = read_id_key(settings.id_key_path, strict=False)
    online = asyncio.run(back.reference(NUMBER))
    assert online == identity.reference(NUMBER, key)
    bodies = [json.loads(e.payload)["body"] for e in w.p.store.event_log.after(0, 1000)]
    resolved = [b for b in bodies if b["state"] == REFERENCE_RESOLVED_STATE]
    assert [b["data"]["applicant"] for b in resolved] == [online]
    assert resolved[0]["data"]["blacklisted"] is False
    identified = next(b for b in bodies if b["state"] == "identified")
    assert identified["data"]["applicant"] is None
    assert identified["data"]["reference"] == "pending"
    assert resolved[0]["case_id"] == identified["case_id"]


def test_a_card_read_while_the_hub_is_away_is_sealed_like_a_typed_number(hub, tmp_path):
    """The ID-card reader's path has the typed number's offline fallback: the case goes on with
    a pending reference (no green channel), and the reference comes later, the online one."""
    url, token, settings = hub
    sim = SimulatedIdCardReader().start()
    try:
        sim.place(SimCard(number=NUMBER, name="王小明"))
        desk = _desk_while_the_hub_is_away(
            tmp_path, token, settings, idcard=SerialIdCardReader(sim.spec(wait_s=3))
        )
        w = desk.window

        async def offline_case():
            await w.start()
            try:
                await desk.sign_in()
                await w.act("open", {})
                await w.act("consent", {"face": False})
                await w.act("card_read", {})
                await desk.until(
                    lambda: w.draft.card is not None or w.draft.card_error is not None, "read"
                )
                assert w.draft.card_error is None
                assert w.draft.id_pending
                assert w.draft.id_ref is None
                assert w.draft.id_masked == identity.mask(NUMBER)
                assert view.build(w, {})["message"]["text"] == PENDING_NOTICE
                await w.act("card_checked", {"method": "id_card"})
                await w.act("select_matter", {"code": "TST-001"})
                materials = view.build(w, {})["materials"]
                assert materials["green_channel"] == "refused_pending_reference"
            finally:
                await w.close()

        asyncio.run(offline_case())
    finally:
        sim.stop()
    raw = (tmp_path / "outbox.sqlite3").read_bytes()
    assert NUMBER.encode() not in raw
    assert len(pending.pending(w.p)) == 1

    back = ReferenceClient(url, token)
    done = asyncio.run(pending.resolve(w.p, back, lambda: frozenset(), lambda: datetime.now(UTC)))
    assert done == 1
    key = read_id_key(settings.id_key_path, strict=False)
    bodies = [json.loads(e.payload)["body"] for e in w.p.store.event_log.after(0, 1000)]
    identified = next(b for b in bodies if b["state"] == "identified")
    assert identified["data"]["method"] == "id_card"
    assert identified["data"]["applicant"] is None
    resolved = [b for b in bodies if b["state"] == REFERENCE_RESOLVED_STATE]
    assert [b["data"]["applicant"] for b in resolved] == [identity.reference(NUMBER, key)]
