"""The case pages over projected cases on SQLite and PostgreSQL: search and its CSV export,
a case's page, the work lists, follow-ups, the feedback book and the blacklist, each within
the asking account's area (a town's account never sees, nor learns of, another town's case)."""

import csv
import io
import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from hub.accounts.area import Area
from hub.accounts.roles import Role
from hub.audit import AUDIT
from tests.hub.cases.pages.seeded import (
    DONGJIE,
    QINGSHUI,
    SHIQIAO,
    TODAY,
    XINMIN,
    act_as,
    seed,
)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-case="([0-9a-f-]{36})"', html)


def test_a_town_account_sees_only_its_villages_cases_and_the_county_sees_all(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.AUDITOR)
    assert set(_rows(client.get("/cases").text)) == {str(s.instant), str(s.owing),
                                                     str(s.badly_rated)}  # fmt: skip
    act_as(client, Role.AUDITOR, Area(town=QINGSHUI))
    got = client.get("/cases")
    assert got.status_code == 200
    assert set(_rows(got.text)) == {str(s.instant), str(s.owing)}
    assert s.refs[s.badly_rated] not in got.text
    assert XINMIN not in got.text  # not even offered in the village filter
    # a filter naming the other town finds nothing rather than escaping the area
    assert _rows(client.get(f"/cases?town={SHIQIAO}").text) == []
    assert client.get("/api/cases").json()["total"] == 2
    assert client.get("/api/cases/counts").json()["cases"] == 2


def test_a_case_is_found_by_its_number_or_its_tail_and_by_the_filters(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.AUDITOR)
    ref = s.refs[s.owing]
    assert _rows(client.get("/cases", params={"ref": ref}).text) == [str(s.owing)]
    tail = ref.rsplit("-", 1)[1].lower()  # typed in lower case
    assert _rows(client.get("/cases", params={"ref": tail}).text) == [str(s.owing)]
    assert _rows(client.get("/cases?deferred=true&village=dongjie-cun").text) == [str(s.owing)]
    assert _rows(client.get("/cases?forwarded=false").text) == [str(s.instant)]
    assert len(_rows(client.get(f"/cases?town={QINGSHUI}&from=2026-11-24&to=2026-11-24").text)) == 2
    # empty fields of the GET form are no filter; a bad one is named, in Chinese
    assert len(_rows(client.get("/cases?ref=&status=&overdue=").text)) == 3
    bad = client.get("/cases?from=not-a-day")
    assert bad.status_code == 422
    assert "查询条件有误" in bad.text
    assert "opened_from" in bad.text


def test_the_csv_link_carries_the_search_and_the_export_honours_the_area(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.AUDITOR, Area(town=QINGSHUI))
    page = client.get("/cases?deferred=true&status=")
    link = re.search(r'id="csv" href="([^"]+)"', page.text)
    assert link is not None
    assert link.group(1) == "/api/cases.csv?deferred=true"
    got = client.get(link.group(1).replace("&amp;", "&"))
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert [r["case_id"] for r in rows] == [str(s.owing)]
    everything = client.get("/api/cases.csv")
    units = {r["unit"] for r in csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig")))}
    assert units == {DONGJIE}


def test_the_case_page_has_its_timeline_materials_limits_and_only_the_masked_id(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.AUDITOR)
    got = client.get(f"/cases/{s.badly_rated}")
    assert got.status_code == 200
    html = got.text
    assert s.refs[s.badly_rated] in html
    steps = re.findall(r'<tr data-step="([a-z_]+)" data-source="unit">', html)
    assert steps[:2] == ["opened", "consented"]
    assert steps[-1] == "closed"
    assert "开始办理" in html
    assert "服务评价" in html
    assert re.search(r'id="id-masked">身份证 3\*{16}2<', html)
    assert "341122199001011002" not in html  # only the stored mask, never more
    assert 'id="owed-now"' in html
    assert "容缺受理" in html
    assert 'id="promised-left"' in html
    assert "个工作日" in html
    assert "不满意" in html
    assert 'id="followup"' in html
    assert got.headers["content-security-policy"].startswith("default-src 'self'")
    assert "<script>" not in html
    assert "style=" not in html


def test_the_case_page_shows_the_back_office_steps_and_the_notice_to_the_window(client):
    s = seed(client.app.state.engine)
    officer = act_as(client, Role.OPERATOR)
    assert client.post(f"/api/cases/{s.owing}/receive", json={}).status_code == 200
    done = client.post(f"/api/cases/{s.owing}/complete", json={"result": "准予建房"})
    assert done.status_code == 200
    html = client.get(f"/cases/{s.owing}").text
    hub_steps = re.findall(r'<tr data-step="([a-z_]+)" data-source="hub">', html)
    assert hub_steps == ["received", "completed"]
    assert officer.name in html  # who took them
    assert "准予建房" in html
    assert "办结通知" in html
    assert "待送达" in html
    assert "已办结" in html


def test_a_case_outside_the_area_or_unknown_is_not_found(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.OPERATOR, Area(town=QINGSHUI))
    for path in (f"/cases/{s.badly_rated}", f"/cases/{uuid.uuid4()}", "/cases/not-a-case"):
        got = client.get(path)
        assert got.status_code == 404, path
        assert "不在当前账号的管辖范围内" in got.text
    api = client.get(f"/api/cases/{s.badly_rated}")
    assert (api.status_code, api.json()["detail"]["code"]) == (404, "case_not_found")
    assert client.get(f"/api/cases/{s.owing}").status_code == 200


def test_work_lists_show_owed_materials_due_cases_and_the_back_office_queue(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.OPERATOR)
    deficient = client.get("/cases/deficient").text
    assert set(_rows(deficient)) == {str(s.owing), str(s.badly_rated)}
    assert '<td class="owed">' in deficient
    assert "剩" in deficient
    assert _rows(client.get("/cases/deficient?state=lapsed").text) == []
    assert _rows(client.get("/cases/due").text) == []  # nothing is near its limit yet
    client.app.state.clock = lambda: datetime(2026, 12, 8, 2, tzinfo=UTC)  # the day before
    act_as(client, Role.OPERATOR)  # again: a session of 11 days ago has expired
    near = client.get("/cases/due?which=near").text
    assert set(_rows(near)) == {str(s.owing), str(s.badly_rated)}
    assert "剩 1 个工作日" in near
    assert _rows(client.get("/cases/due?which=overdue").text) == []
    client.app.state.clock = lambda: datetime(2026, 12, 10, 2, tzinfo=UTC)  # the day after
    act_as(client, Role.OPERATOR)
    late = client.get("/cases/due?which=overdue").text
    assert set(_rows(late)) == {str(s.owing), str(s.badly_rated)}
    assert "超期 1 个工作日" in late
    assert _rows(client.get("/cases/due?which=legal_overdue").text) == []
    # the 容缺 supply dates have passed meanwhile, but only the hub's timers lapse a case
    client.app.state.clock = lambda: TODAY
    act_as(client, Role.OPERATOR)
    forwarded = client.get("/cases/forwarded").text
    assert set(_rows(forwarded)) == {str(s.owing), str(s.badly_rated)}
    assert f'href="/backoffice/cases/{s.owing}"' in forwarded  # operators go and act
    assert "清水镇便民服务中心" in forwarded
    act_as(client, Role.AUDITOR, Area(town=QINGSHUI))
    town = client.get("/cases/forwarded").text
    assert _rows(town) == [str(s.owing)]
    assert "/backoffice/cases/" not in town  # an auditor reads, does not act
    assert _rows(client.get("/cases/deficient").text) == [str(s.owing)]


def test_lists_are_paginated_with_previous_and_next_links(client):
    seed(client.app.state.engine)
    act_as(client, Role.AUDITOR)
    first = client.get("/cases?limit=1&deferred=true")
    assert len(_rows(first.text)) == 1
    assert 'id="next" href="/cases?limit=1&amp;deferred=true&amp;offset=1"' in first.text
    assert 'id="prev"' not in first.text
    second = client.get("/cases?limit=1&deferred=true&offset=1")
    assert 'id="prev" href="/cases?limit=1&amp;deferred=true"' in second.text
    assert 'id="next"' not in second.text
    assert client.get("/cases?limit=501").status_code == 422


def test_followups_list_the_area_and_offer_their_steps_to_operators_only(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.OPERATOR)
    page = client.get("/cases/followups").text
    (fid,) = re.findall(r'data-followup="([0-9a-f-]{36})"', page)
    assert f'data-api="/api/followups/{fid}/verify"' in page
    assert "/rectify" not in page  # not before it is verified
    act_as(client, Role.AUDITOR)
    assert "data-api=" not in client.get("/cases/followups").text
    town = act_as(client, Role.OPERATOR, Area(town=QINGSHUI))
    assert "data-followup=" not in client.get("/cases/followups").text
    refused = client.post(f"/api/followups/{fid}/verify", json={"note": "已电话核实"})
    assert refused.status_code == 404
    assert client.get(f"/api/followups/{fid}").status_code == 404
    assert client.get("/api/followups").json()["total"] == 0
    county = act_as(client, Role.OPERATOR)
    done = client.post(f"/api/followups/{fid}/verify", json={"note": "已电话核实"})
    assert done.status_code == 200
    assert 'data-status="verified"' in client.get("/cases/followups").text
    with client.app.state.engine.connect() as conn:
        actors = [
            r.actor for r in conn.execute(select(AUDIT).where(AUDIT.c.action == "followup.verify"))
        ]
    assert actors == [county.name]
    assert town.name not in actors
    assert s.badly_rated


def test_the_feedback_book_lists_the_area_and_operators_reply(client):
    seed(client.app.state.engine)
    act_as(client, Role.OPERATOR, Area(town=SHIQIAO))
    page = client.get("/cases/feedback").text
    assert "希望多开一个窗口" in page
    assert "等候时间太长" not in page
    act_as(client, Role.OPERATOR)
    page = client.get("/cases/feedback").text
    ids = re.findall(r'data-feedback="([0-9a-f-]{36})"', page)
    assert len(ids) == 2
    assert 'data-api="/api/feedback/' in page
    dongjie = next(i for i in ids if "等候时间太长" in page.split(f'data-feedback="{i}"')[1][:600])
    act_as(client, Role.OPERATOR, Area(town=SHIQIAO))
    assert client.post(f"/api/feedback/{dongjie}/handle", json={"reply": "x"}).status_code == 404
    act_as(client, Role.OPERATOR)
    assert (
        client.post(f"/api/feedback/{dongjie}/handle", json={"reply": "已增加叫号"}).status_code
        == 200
    )
    assert "已增加叫号" in client.get("/cases/feedback?handled=true").text
    by_day = client.get("/cases/feedback?source=kiosk&from=2026-11-26&to=2026-11-26").text
    assert len(re.findall(r"data-feedback=", by_day)) == 2
    assert "data-feedback=" not in client.get("/cases/feedback?from=2026-11-27").text


def test_the_blacklist_shows_proposals_listings_and_their_audited_history(client):
    s = seed(client.app.state.engine)
    act_as(client, Role.VIEWER)
    assert client.get("/cases/blacklist").status_code == 403
    # a town's operator reads its villages' proposals but decides none: the list is the county's
    act_as(client, Role.OPERATOR, Area(town=QINGSHUI))
    proposals = client.get("/cases/blacklist?show=proposals").text
    (pid,) = re.findall(r'data-proposal="([0-9a-f-]{36})"', proposals)
    assert s.refs[s.owing] in proposals
    assert s.refs[s.badly_rated] not in proposals
    assert "/confirm" not in proposals
    assert client.post(f"/api/blacklist/proposals/{pid}/reject", json={}).status_code == 403
    county = act_as(client, Role.OPERATOR)
    page = client.get("/cases/blacklist?show=proposals").text
    assert len(re.findall(r'data-proposal="([0-9a-f-]{36})"', page)) == 2
    assert f"/api/blacklist/proposals/{pid}/confirm" in page
    # the case was not withdrawn (the test proposed it directly): it is rejected
    rejected = client.post(f"/api/blacklist/proposals/{pid}/reject", json={"note": "已补齐"})
    assert rejected.status_code == 200
    listed = client.post(
        "/api/blacklist", json={"applicant_ref": "ab" * 16, "reason": "提供虚假材料"}
    )
    assert listed.status_code == 201
    entries = client.get("/cases/blacklist").text
    assert "提供虚假材料" in entries
    assert 'data-method="DELETE"' in entries
    assert client.delete(f"/api/blacklist/{'ab' * 16}").status_code == 200
    history = client.get("/cases/blacklist?show=history").text
    actions = re.findall(r'data-action="([a-z.]+)"', history)
    assert actions == ["blacklist.remove", "blacklist.add", "blacklist.reject"]
    assert county.name in history
    assert "已补齐" in history
    # every auditor reads the county-wide list and its history, whatever their area
    act_as(client, Role.AUDITOR, Area(town=SHIQIAO))
    again = client.get("/cases/blacklist?show=history").text
    assert re.findall(r'data-action="([a-z.]+)"', again) == actions
    assert 'data-method="DELETE"' not in client.get("/cases/blacklist").text


def test_the_pages_need_an_auditor(client):
    seed(client.app.state.engine)
    assert client.get("/cases").status_code == 401  # the anonymous local viewer
    browser = client.get("/cases?ref=X", headers={"accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303
    assert browser.headers["location"] == "/login?next=%2Fcases%3Fref%3DX"
    act_as(client, Role.VIEWER)
    for path in ("/cases", "/cases/due", "/cases/feedback", "/cases/followups"):
        assert client.get(path).status_code == 403, path
