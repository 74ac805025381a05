"""A window that holds no reference key (every unit provisioned since issue 17): the typed
number's reference comes from a real hub, blinded, and is the hub's own; with the hub away the
clerk is told so in Chinese and nothing is recorded."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from edge.window.references import ReferenceClient, ReferenceUnavailable
from hub.app import create_app
from hub.settings import HubSettings
from hub.window.idkey import read_id_key
from hub.window.tokens import issue_unit_token
from protocol import identity
from provisioning.mosquitto import free_port
from tests.edge.window.desk import UNIT, build_desk
from tests.support.hubserver import serve

NUMBER = "33012219610101004" + identity.check_digit("33012219610101004")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A served hub (SQLite) and a token of the desk's unit."""
    root = tmp_path_factory.mktemp("hub")
    app = create_app(HubSettings(database_url=f"sqlite:///{root / 'hub.db'}", data_dir=root))
    with TestClient(app), serve(app) as url:
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
