"""Prometheus /metrics: the hub's counters and the fleet's figures, with request latency
labelled by route template (a bounded label set whatever paths clients ask for)."""

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hub.app import create_app
from hub.settings import HubSettings
from protocol.catalog import Approval
from tests.hub.cases.ingested import drain, ingest
from tests.support.cases import ScriptedCase, envelopes, matter_where


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        yield c


def _samples(text):
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_cases_units_and_requests_by_route_template(client):
    m = matter_where(approval=Approval.TOWN)
    events = envelopes("dongjie-cun", ScriptedCase("dongjie-cun", m).transitions())
    ingest(client.app.state.engine, events)
    drain(client.app.state.engine)
    for unit in ("a1", "b2", "c3"):
        client.get(f"/api/units/{unit}")
    got = client.get("/metrics")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/plain")
    samples = _samples(got.text)
    assert samples[("bianmin_cases", (("status", "forwarded"),))] == 1
    assert samples[("bianmin_units", (("online", "false"),))] == 1
    assert samples[("bianmin_cases_pending", ())] == 0
    labels = (("method", "GET"), ("route", "/api/units/{unit_id}"), ("status", "404"))
    assert samples[("bianmin_http_request_seconds_count", labels)] == 3
    assert not any("a1" in str(k) for k in samples)
