"""The OpenAPI document is complete: every operation has a summary, a tag, a described success
with its content, the hub's error answers and how to authenticate; it is valid OpenAPI."""

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.openapi_doc import PUBLIC
from hub.settings import HubSettings


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("doc")
    settings = HubSettings(database_url=f"sqlite:///{tmp / 'h.db'}", broker_url=None, data_dir=tmp)
    app = create_app(settings)
    with TestClient(app) as client:
        yield client.get("/openapi.json").json()
    app.state.engine.dispose()


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_every_operation_has_a_summary_a_tag_and_a_described_success(doc):
    for path, method, op in operations(doc):
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert (op.get("tags") and op["tags"] != ["hub"]) or path == "/healthz", where
        successes = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert successes, where
        for answer in successes.values():
            assert answer["description"], where
            for media, content in answer.get("content", {}).items():
                assert content.get("schema"), f"{where} {media}: no schema"


def test_every_guarded_operation_documents_the_refusals_and_its_credentials(doc):
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "basic"}
    for path, method, op in operations(doc):
        where = f"{method.upper()} {path}"
        codes = set(op["responses"])
        assert "422" in codes, where
        if path in PUBLIC:
            assert op["security"] == [], where
        else:
            assert {"401", "403"} <= codes, where
        if "{" in path:
            assert "404" in codes, where
        if method in ("post", "put", "patch"):
            assert {"400", "413"} <= codes, where


def test_routes_that_read_files_say_what_they_take(doc):
    paths = doc["paths"]
    assert "application/json" in paths["/api/catalog"]["post"]["requestBody"]["content"]
    assert "application/json" in paths["/api/calendar"]["post"]["requestBody"]["content"]
    body = paths["/api/artifacts"]["post"]["requestBody"]["content"]
    assert "application/octet-stream" in body
    assert "text/csv" in paths["/api/cases.csv"]["get"]["responses"]["200"]["content"]


def test_the_document_is_valid_openapi(doc):
    from schemathesis import openapi

    openapi.from_dict(doc).validate()
