"""The indicators page in Debian's Chromium at 1366x768, on SQLite and PostgreSQL: its four
ECharts charts are drawn (instances exist, their canvases hold pixels) from exactly the
figures /api/indicators answers, the headline figures are the ones worked out by hand, the
page's CSP is never violated, and a town's account, signed in at /login, sees its own town
only. Set
BIANMIN_HUB_SCREENSHOTS=DIR to keep the screenshots (docs/hub/indicators.png is one)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.accounts.area import Area
from hub.accounts.roles import Role
from hub.app import create_app
from hub.settings import HubSettings
from tests.conftest import _postgres_schema_url
from tests.edge.kiosk.stack import CHROMIUM, CHROMIUM_FLAGS
from tests.hub.indicators.busy import MONTH, seed_month
from tests.hub.indicators.county import EXPECTED_TOTALS, FROM, TO, TODAY, seed
from tests.support.hubserver import serve
from tests.support.signin import make_account, sign_in_page

pytestmark = pytest.mark.integration
SHOTS = os.environ.get("BIANMIN_HUB_SCREENSHOTS")
QINGSHUI = Area(town="qingshui-zhen")
CHARTS = ("chart-daily", "chart-rating", "chart-ontime", "chart-deficiency")
# every CSP violation and script error the page causes, recorded before any of its scripts run
WATCH = """
window.__problems = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__problems.push("csp " + e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", (e) => window.__problems.push("error " + e.message));
"""
SERIES = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const o = chart.getOption();
  const categories = (o.yAxis[0].type === "category" ? o.yAxis[0] : o.xAxis[0]).data;
  return {categories, series: o.series.map((s) => ({name: s.name, data: s.data}))};
}"""
# share of a chart's canvas pixels that are painted (not transparent, not white)
INK = """(id) => {
  const canvas = document.querySelector("#" + id + " canvas");
  const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] > 0 && (px[i] < 235 || px[i + 1] < 235 || px[i + 2] < 235)) ink++;
  }
  return ink / (px.length / 4);
}"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory) -> Iterator[str]:
    """One database per module and kind (seeding the busy month takes a while)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'hub.db'}"
    else:
        yield from _postgres_schema_url(request.getfixturevalue("postgres_database"))


@pytest.fixture(scope="module")
def hub(database, tmp_path_factory) -> Iterator[tuple[str, Any]]:
    """`create_app` served by uvicorn in a thread, with the hand-worked November cases and a
    busy October."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    database_url = database
    settings = HubSettings(
        database_url=database_url, broker_url=None, data_dir=tmp_path_factory.mktemp("hub")
    )
    app = create_app(settings)
    app.state.clock = lambda: TODAY
    seed(app.state.engine)
    seed_month(app.state.engine, app.state.registry)
    with serve(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


def open_page(browser: Any, url: str, page: Any = None) -> Any:
    """``url`` in a new 1366x768 page (or in ``page``), once its four charts are drawn."""
    if page is None:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.add_init_script(WATCH)
    page.set_default_timeout(20_000)
    page.goto(url)
    page.locator('#charts[data-ready="1"]').wait_for(state="attached")
    for chart in CHARTS:
        page.locator(f'#{chart}[data-drawn="1"]').wait_for(state="attached")
    return page


def shot(page: Any, name: str, **kw: Any) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), **kw)


def charts_match_the_api(page: Any, api: dict[str, Any]) -> None:
    daily = page.evaluate(SERIES, "chart-daily")
    assert daily["categories"] == api["series"]["days"]
    assert [s["data"] for s in daily["series"]] == [
        api["series"][k] for k in ("cases", "completed", "done_at_window")
    ]
    rating = page.evaluate(SERIES, "chart-rating")
    assert rating["categories"] == [t["name"] for t in api["by_town"]]
    assert rating["series"][0]["data"] == [t["ratings"]["rate"] for t in api["by_town"]]
    on_time = page.evaluate(SERIES, "chart-ontime")
    by_name = {m["name"][:11]: m for m in api["by_matter"]}
    shown = [by_name[c.removesuffix("…")[:11]] for c in on_time["categories"]]
    assert shown  # the matters with a decided or overdue case
    assert on_time["series"][0]["data"] == [m["on_time_promised"]["rate"] for m in shown]
    assert on_time["series"][1]["data"] == [m["on_time_legal"]["rate"] for m in shown]
    owed = page.evaluate(SERIES, "chart-deficiency")
    d = [t["deficiency"] for t in api["by_town"]]
    assert [s["data"] for s in owed["series"]] == [
        [x["open"] - x["lapsed"] for x in d],
        [x["lapsed"] for x in d],
        [x["withdrawn"] for x in d],
    ]
    for chart in CHARTS:
        assert page.evaluate(INK, chart) > 0.01, f"{chart} drew nothing"
    assert page.evaluate("window.__problems") == []


def test_the_charts_draw_the_apis_figures_and_the_headline_is_the_hand_worked_one(hub, browser):
    url, _ = hub
    query = f"from={FROM}&to={TO}"
    page = open_page(browser, f"{url}/indicators?{query}")
    api = httpx.get(f"{url}/api/indicators?{query}", timeout=30).json()
    charts_match_the_api(page, api)
    cards = page.locator("#headline")
    assert "57.14%" in cards.locator('[data-key="good_rating"]').inner_text()  # 4 of 7
    assert "评价 7 件" in cards.locator('[data-key="good_rating"]').inner_text()
    assert "50.0%" in cards.locator('[data-key="on_time_promised"]').inner_text()
    assert "100.0%" in cards.locator('[data-key="on_time_legal"]').inner_text()
    assert "其中逾期 1 件" in cards.locator('[data-key="deficiency"]').inner_text()
    row = page.locator('#reductions tr[data-key="materials"]')
    assert row.locator(".measured").inner_text() == "74.3%"  # 1 - 9/35
    assert row.locator(".declared").inner_text() == "85.7%"  # 1 - 5/35
    assert page.locator('#reductions tr[data-key="time"] .measured').inner_text() == "88.8%"
    assert EXPECTED_TOTALS["ratings"]["rate"] == api["totals"]["ratings"]["rate"]
    page.context.close()


def test_a_busy_month_fits_the_office_screen_and_prints(hub, browser):
    url, app = hub
    query = f"from={MONTH[0]}&to={MONTH[1]}"
    password = make_account(app.state.engine, "county-viewer", Role.VIEWER)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.add_init_script(WATCH)
    sign_in_page(page, url, "county-viewer", password)
    page = open_page(browser, f"{url}/indicators?{query}", page)
    api = httpx.get(f"{url}/api/indicators?{query}", timeout=30).json()
    assert api["totals"]["cases"] > 300
    charts_match_the_api(page, api)
    # nothing wider than the office screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(page, "indicators", full_page=True)
    page.emulate_media(media="print")
    assert page.locator("header.top nav").is_hidden()
    assert page.locator("#period").is_hidden()
    for chart in CHARTS:
        assert page.evaluate(INK, chart) > 0.01
    shot(page, "indicators-print", full_page=True)
    page.context.close()


def test_a_town_account_sees_its_own_town_in_the_picker_tables_and_charts(hub, browser):
    url, app = hub
    password = make_account(app.state.engine, "qingshui", Role.VIEWER, area=QINGSHUI)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        page = context.new_page()
        page.add_init_script(WATCH)
        sign_in_page(page, url, "qingshui", password)
        page = open_page(browser, f"{url}/indicators?from={FROM}&to={TO}", page)
        assert "清水镇" in page.locator("h1").inner_text()
        assert page.locator('select[name="town"]').count() == 0  # one town: nothing to pick
        villages = page.locator('select[name="village"] option').all_inner_texts()
        assert "东街村" in villages
        assert "新民村" not in villages  # 石桥镇's
        rating = page.evaluate(SERIES, "chart-rating")
        assert rating["categories"] == ["清水镇"]
        assert rating["series"][0]["data"] == [0.75]
        assert page.locator("#by-village tr[data-village=xinmin-cun]").count() == 0
        assert page.locator("#who").inner_text() == "qingshui"
        page.goto(f"{url}/indicators?village=xinmin-cun")
        assert "no village" in page.locator("#error").inner_text()
    finally:
        context.close()
