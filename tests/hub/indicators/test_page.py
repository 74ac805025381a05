"""The /indicators page as the server renders it (figures readable without its scripts, the
charts' data from the same query), its security headers, a bad query shown on the page, and
the ECharts file served by the hub itself, or a 503 saying how to install it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.errors import AssetMissing
from hub.settings import HubSettings
from hub.web.vendor import available, vendor_file
from tests.hub.indicators.county import FROM, TO, TODAY, seed


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}", broker_url=None, data_dir=tmp_path
    )
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: TODAY  # type: ignore[attr-defined]
        seed(c.app.state.engine)  # type: ignore[attr-defined]
        yield c


def test_the_page_shows_the_figures_and_loads_its_charts_from_the_hub(client):
    page = client.get(f"/indicators?from={FROM}&to={TO}")
    assert page.status_code == 200
    html = page.text
    assert "2026年11月1日至2026年11月30日" in html
    assert "57.14%" in html  # the good-rating rate, 4 of 7
    assert "74.3%" in html
    assert "85.7%" in html
    assert f'data-api="/api/indicators?from={FROM}&amp;to={TO}"' in html
    assert '<script src="/static/vendor/echarts.min.js"></script>' in html
    assert '<script src="/static/hub/indicators.js"></script>' in html
    assert "<script>" not in html
    assert "<style" not in html
    assert "style=" not in html
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert 'aria-current="page">指标' in html


def test_a_bad_query_is_shown_on_the_page_with_its_status(client):
    page = client.get("/indicators?from=2026-12-01&to=2026-11-01")
    assert page.status_code == 422
    assert "查询条件有误" in page.text
    assert "is after" in page.text
    assert client.get("/indicators?village=no-such-cun").status_code == 404


def test_the_pages_script_style_and_echarts_are_served_by_the_hub(client):
    for name in ("indicators.js", "indicators.css"):
        assert client.get(f"/static/hub/{name}").status_code == 200
    echarts = client.get("/static/vendor/echarts.min.js")
    assert echarts.status_code == 200
    assert echarts.headers["content-type"].startswith("text/javascript")
    assert len(echarts.content) > 500_000
    assert b"echarts" in echarts.content[:2000].lower()
    assert client.get("/static/vendor/zrender.js").status_code == 404
    assert client.get("/static/vendor/..%2Fpackage.json").status_code == 404


def test_a_hub_without_echarts_installed_says_how_to_install_it(tmp_path: Path):
    with pytest.raises(AssetMissing, match="make web") as missing:
        vendor_file("echarts.min.js", root=tmp_path)
    assert f"npm ci --prefix {tmp_path}" in str(missing.value)
    assert missing.value.status == 503
    assert not available("echarts.min.js", root=tmp_path)


def test_the_installed_echarts_is_the_version_the_lock_file_pins():
    import json

    web = Path(vendor_file("echarts.min.js")).parents[3]
    lock = json.loads((web / "package-lock.json").read_text())
    installed = json.loads((web / "node_modules/echarts/package.json").read_text())
    assert installed["version"] == lock["packages"]["node_modules/echarts"]["version"]
    assert installed["license"] == "Apache-2.0"
