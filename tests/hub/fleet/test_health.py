"""Device status from units' heartbeats on the hub: a printer out of paper is visible on the
dashboard and in the API, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.app import create_app
from hub.fleet.health import device_problems
from hub.models import Unit
from hub.settings import HubSettings

HEALTHY = {"present": True, "ok": True, "detail": None, "paper": None}


def _health(**devices):
    return {"devices": {"camera": HEALTHY, "pad": HEALTHY, "rating": HEALTHY, **devices}}


def test_device_problems_name_paper_and_missing_devices_in_chinese():
    out = {"present": True, "ok": False, "detail": "缺纸，请装纸", "paper": "out"}
    gone = {"present": False, "ok": False, "detail": "未找到签字板", "paper": None}
    assert device_problems(_health(printer=out, pad=gone)) == ["签字板未连接", "打印机缺纸"]
    near = {"present": True, "ok": True, "detail": "纸将用尽", "paper": "near_end"}
    assert device_problems(_health(printer=near)) == ["打印机纸将用尽"]
    assert device_problems(None) == []


def test_a_printer_out_of_paper_shows_on_the_dashboard_and_in_the_api(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        out = {"present": True, "ok": False, "detail": "缺纸，请装纸", "paper": "out"}
        with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
            now = datetime.now(UTC)
            s.add(Unit(id="dongjie-cun", name="东街村", last_seen=now, online=True,
                       health=_health(printer=out), health_at=now))  # fmt: skip
            s.commit()
        page = client.get("/fleet").text
        assert "打印机缺纸" in page
        assert 'data-paper="out"' in page
        unit = client.get("/api/units").json()[0]
        assert (unit["paper"], unit["device_problems"]) == ("out", ["打印机缺纸"])
