"""The hub's structured logs: one JSON object per line (or text at a terminal), each request
logged once with its id, route template, status and duration, and nothing a caller put in a
path or a query (which may name a person)."""

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from hub import logs
from hub.app import create_app
from hub.settings import HubSettings

ID_NUMBER = "110101199003071234"


@pytest.fixture
def captured():
    """The hub's logging set up on a buffer, the root logger put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    logs.configure("json", "INFO", stream=stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False


@pytest.fixture
def client(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    app = create_app(HubSettings(database_url=url, broker_url=None, data_dir=tmp_path))
    with TestClient(app) as c:
        yield c


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def http_lines(stream: io.StringIO) -> list[dict]:
    return [entry for entry in lines(stream) if entry["logger"] == "bianmin.hub.http"]


def test_a_request_is_logged_once_with_its_route_template_and_never_its_path(captured, client):
    resp = client.get(f"/api/units/{ID_NUMBER}?name={ID_NUMBER}")
    assert resp.status_code == 404
    rid = resp.headers["X-Request-ID"]
    (line,) = [entry for entry in lines(captured) if entry["logger"] == "bianmin.hub.http"]
    # (the test's own HTTP client logs the URL it asked for: that line is not the hub's)
    assert line["request_id"] == rid
    assert line["method"] == "GET"
    assert line["route"] == "/api/units/{unit_id}"
    assert line["status"] == 404
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["time"].endswith("+00:00")
    hub_lines = [entry for entry in lines(captured) if entry["logger"].startswith("bianmin")]
    assert ID_NUMBER not in json.dumps(hub_lines)


def test_a_callers_plain_request_id_is_kept_and_echoed(captured, client):
    resp = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42"})
    assert resp.headers["X-Request-ID"] == "lb-7f3a:42"
    assert http_lines(captured)[-1]["request_id"] == "lb-7f3a:42"


@pytest.mark.parametrize("given", ["x" * 65, "a b", "id\u4e2d", "<script>", ""])
def test_an_unusable_request_id_is_replaced_by_a_fresh_one(captured, client, given):
    resp = client.get("/healthz", headers={"X-Request-ID": given.encode()})
    rid = resp.headers["X-Request-ID"]
    assert rid != given
    assert len(rid) == 32
    assert rid.isalnum()
    assert http_lines(captured)[-1]["request_id"] == rid


def test_records_logged_while_a_request_runs_carry_its_id(captured):
    token = logs.request_id.set("r-1")
    try:
        logging.getLogger("bianmin.hub.rollouts").warning("unit %s refused", "t001")
    finally:
        logs.request_id.reset(token)
    logging.getLogger("bianmin.hub.rollouts").warning("outside")
    inside, outside = lines(captured)
    assert inside["request_id"] == "r-1"
    assert inside["message"] == "unit t001 refused"
    assert "request_id" not in outside


def test_an_error_keeps_its_traceback_in_one_json_line(captured):
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("bianmin.hub.ingest").exception("batch failed")
    (line,) = lines(captured)
    assert line["level"] == "ERROR"
    assert "ValueError: bad" in line["error"]


def test_text_at_a_terminal_json_otherwise():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert logs.default_format(Tty()) == "text"
    assert logs.default_format(io.StringIO()) == "json"


def test_the_text_format_names_the_request(captured):
    stream = io.StringIO()
    logs.configure("text", "INFO", stream=stream)
    token = logs.request_id.set("r-2")
    try:
        logging.getLogger("bianmin.hub.alerts").info("raised")
    finally:
        logs.request_id.reset(token)
    assert stream.getvalue().rstrip().endswith("INFO bianmin.hub.alerts: raised [request r-2]")
    assert captured.getvalue() == ""  # one handler: configuring again replaced the first


@pytest.mark.parametrize(
    ("args", "hint"),
    [(["--log-format", "xml"], "--log-format"), (["--log-level", "LOUD"], "--log-level")],
)
def test_serve_refuses_an_unknown_log_format_or_level(tmp_path, args, hint):
    from typer.testing import CliRunner

    from hub.cli import app

    url = f"sqlite:///{tmp_path / 'h.db'}"
    result = CliRunner().invoke(app, ["serve", "--database", url, *args])
    assert result.exit_code == 2
    assert hint in result.output
