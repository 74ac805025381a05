"""An agent's case and a case not accepted, at a window in this process: the resident's
authorisation is taken on the pad before identification and archived encrypted with the case
(only hashes leave), the forwarded case goes on the agent's list to carry to the town, and a
case not accepted prints its 一次性告知书 (with where to obtain each missing material) before
the rating."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3

import pytest

from edge.kiosk import view
from edge.window.signatures import SignatureArchive, SignatureTampered
from protocol import identity
from protocol.catalog import Approval, Material
from tests.edge.window.desk import AGENT, CLERK, SIGNATURE_KEY, Desk, build_desk, plain_matter

NUMBER = "33012219610101004" + identity.check_digit("33012219610101004")


def _town_matter():
    return plain_matter().model_copy(update={"approval": Approval.TOWN})


async def _ink(desk: Desk) -> None:
    w = desk.window
    await desk.until(lambda: w.steps.signing is not None and w.steps.signing.strokes, "ink")


def _events(desk: Desk) -> list:
    return [e.body for e in _all(desk)]


def _all(desk: Desk):
    db = sqlite3.connect(desk.store.event_log.path)  # type: ignore[attr-defined]
    try:
        rows = db.execute("SELECT payload FROM events ORDER BY seq").fetchall()
    finally:
        db.close()
    from protocol.messages import CaseEnvelope

    return [CaseEnvelope.model_validate_json(p) for (p,) in rows]


def test_an_agent_s_forwarded_case_is_signed_for_archived_and_listed_to_carry(tmp_path):
    desk = build_desk(tmp_path, matter=_town_matter())
    w = desk.window

    async def scenario():
        await w.start()
        try:
            await desk.sign_in(AGENT)
            await w.act("open", {})
            await _ink(desk)  # the pad is held for the 委托授权 before identification
            assert view.build(w, {})["authorization"]["ready"]
            await w.act("consent", {"face": False})
            await w.act("id_number", {"number": NUMBER})
            await w.act("card_checked", {"method": "id_card"})
            await w.act("select_matter", {"code": "TST-001"})
            await desk.until(lambda: w.draft.registry_state == "unreachable", "registry")
            await w.act("materials", {"received": ["申请表", "银行账户信息", "户口簿复印件"],
                                      "shown": ["身份证复印件"], "decision": "accept"})  # fmt: skip
            await _ink(desk)
            await w.act("sign_confirm", {})
            await w.act("route", {})
            await desk.until(lambda: w.case is None, "printing and the rating")
            pending = view.build(w, {})["clerk"]["pending"]
            assert [(p["case_ref"], p["to"]) for p in pending] == [
                (w.last_closed.case_ref, "镇（街道）")  # type: ignore[union-attr]
            ]
            await w.act("sign_out", {})
            await desk.sign_in(CLERK)
            assert "pending" not in view.build(w, {})["clerk"]  # a clerk has no such list
        finally:
            await w.close()

    asyncio.run(scenario())
    case = w.last_closed
    assert case is not None
    bodies = [b for b in _events(desk) if b.case_id == case.case_id]
    assert [b.state for b in bodies][:3] == ["opened", "consented", "identified"]
    assert all(b.data["agent"] == AGENT and b.data["clerk"] == AGENT for b in bodies)
    consented = bodies[1].data
    archive = w.p.signatures
    auth = archive.get(str(case.case_id), "authorization")
    sig = archive.get(str(case.case_id), "signature")
    assert auth is not None
    assert sig is not None
    assert hashlib.sha256(auth).hexdigest() == consented["authorization_sha256"]
    assert hashlib.sha256(sig).hexdigest() == case.signature_sha256
    assert desk.store.agent_pending(AGENT)[0]["case_id"] == str(case.case_id)
    receipt = desk.printer.printed[0].plain_text()
    assert "经 办 人：李强（代办员）" in receipt


def test_the_archive_is_encrypted_and_bound_to_its_case(tmp_path):
    path = tmp_path / "signatures.sqlite3"
    archive = SignatureArchive(path, SIGNATURE_KEY)
    data = b'{"format":"bianmin.signature/1","strokes":[[[1,2,3,4]]]}'
    sha = archive.put("case-a", "signature", data)
    assert archive.get("case-a", "signature") == data
    assert data not in path.read_bytes()  # nothing in clear on disk
    with pytest.raises(SignatureTampered):
        SignatureArchive(path, bytes(32)).get("case-a", "signature")  # another key
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE signatures SET case_id = 'case-b'")  # copied to another case
    db.close()
    with pytest.raises(SignatureTampered):
        archive.get("case-b", "signature")
    assert archive.sha256("case-b", "signature") == sha
    assert archive.get("case-c", "authorization") is None


def test_signatures_an_earlier_version_kept_in_clear_are_encrypted_and_removed(tmp_path):
    folder = tmp_path / "signatures"
    folder.mkdir()
    data = b'{"format":"bianmin.signature/1","strokes":[[[5,6,7,8]]]}'
    (folder / "019ac000-0000-7000-8000-00000000abcd.json").write_bytes(data)
    archive = SignatureArchive(tmp_path / "signatures.sqlite3", SIGNATURE_KEY)
    assert archive.import_plain(folder) == 1
    assert not folder.exists()
    assert archive.get("019ac000-0000-7000-8000-00000000abcd", "signature") == data
    assert archive.import_plain(folder) == 0


def test_a_case_not_accepted_prints_the_one_time_notice_before_the_rating(tmp_path):
    m = plain_matter()
    materials = (
        *(x.model_copy(update={"obtain_at": "开户银行网点"}) if x.name == "银行账户信息" else x
          for x in m.materials),
        Material(name="村委会证明", critical=True, obtain_at="村（居）民委员会"),
    )  # fmt: skip
    desk = build_desk(tmp_path, matter=m.model_copy(update={"materials": materials}))
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
            await desk.until(lambda: w.draft.registry_state == "unreachable", "registry")
            await w.act("materials", {"received": ["户口簿复印件"], "shown": ["身份证复印件"],
                                      "decision": "decline"})  # fmt: skip
            await desk.until(lambda: w.case is None, "the notice and the rating")
        finally:
            await w.close()

    asyncio.run(scenario())
    states = [s.value for s in desk.store.states]
    assert states[-4:] == ["not_accepted", "printed", "rated", "closed"]
    (notice,) = desk.printer.printed
    text = notice.plain_text()
    assert notice.title.startswith("一次性告知书")
    # what blocks acceptance first, then what 容缺 could have covered
    for line in ("1. 申请表", "2. 村委会证明", "获取途径：村（居）民委员会", "3. 银行账户信息",
                 "获取途径：开户银行网点", "办理事项：测试事项", "主管部门：县测试局",
                 "办理窗口：测试村便民服务站", "经 办 人：王芳"):  # fmt: skip
        assert line in text, line
    assert w.last_closed is not None
    assert w.last_closed.case_ref in text
    assert NUMBER not in text
