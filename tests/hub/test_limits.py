"""Each route's body limit holds the largest request the route can accept, and no more than
it needs (pure: the table and the protocol's models)."""

import json

import pytest

from hub.limits import (
    CATALOG_BODY_BYTES,
    DEFAULT_BODY_BYTES,
    HANDOVER_BODY_BYTES,
    ROLLOUT_BODY_BYTES,
    UNIT_BODY_BYTES,
    hub_body_limits,
)
from hub.rollouts.models import RolloutCreate
from hub.settings import HubSettings
from protocol.case import RegistryQuery
from protocol.seed import SEED_CATALOG

LIMITS = hub_body_limits(HubSettings(artifact_upload_max_bytes=3 * 1024 * 1024))


def _size(document, *, ascii_only=True):
    return len(json.dumps(document, ensure_ascii=ascii_only).encode())


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("POST", "/api/unit/registry/query", UNIT_BODY_BYTES),
        ("POST", "/api/rollouts", ROLLOUT_BODY_BYTES),
        ("POST", "/api/rollouts/", ROLLOUT_BODY_BYTES),
        ("POST", "/api/rollouts/7/pause", DEFAULT_BODY_BYTES),
        ("POST", "/api/catalog", CATALOG_BODY_BYTES),
        ("POST", "/api/cases/0190-case/handover", HANDOVER_BODY_BYTES),
        ("POST", "/api/cases/0190-case/complete", DEFAULT_BODY_BYTES),
        ("POST", "/api/cases/a/b/handover", DEFAULT_BODY_BYTES),
        ("POST", "/api/artifacts", 3 * 1024 * 1024),
        ("POST", "/api/blacklist", DEFAULT_BODY_BYTES),
        ("GET", "/api/artifacts", DEFAULT_BODY_BYTES),
        ("PUT", "/api/catalog", DEFAULT_BODY_BYTES),
        ("POST", "/nowhere", DEFAULT_BODY_BYTES),
    ],
)
def test_each_route_gets_its_own_limit_and_the_rest_the_default(method, path, limit):
    assert LIMITS(method, path) == limit


def test_the_unit_route_holds_the_largest_valid_registry_query_and_little_more():
    largest = {"applicant": "f" * 32, "materials": ["证" * 60] * 50}
    RegistryQuery.model_validate(largest)
    assert _size(largest) <= UNIT_BODY_BYTES < 2 * _size(largest)


def test_the_rollout_route_holds_a_target_of_3800_units_of_the_longest_ids():
    units = [f"u{n:04d}" + "x" * 59 for n in range(3800)]
    request = {"target": {"units": units}, "note": "全县"}
    RolloutCreate.model_validate(request)
    assert _size(request) <= ROLLOUT_BODY_BYTES


def test_the_catalog_route_holds_the_seed_catalog_many_times_over():
    assert SEED_CATALOG.stat().st_size * 10 < CATALOG_BODY_BYTES


def test_unit_routes_get_less_than_operator_json_and_operator_json_less_than_uploads():
    assert UNIT_BODY_BYTES < DEFAULT_BODY_BYTES < ROLLOUT_BODY_BYTES < CATALOG_BODY_BYTES


def test_the_handover_route_holds_two_signatures_of_the_most_points_and_all_materials():
    from hub.backoffice.steps import MAX_POINTS, Handover

    strokes = [[[10_000, 10_000]] * 1000] * (MAX_POINTS // 1000)
    request = {
        "action_id": "01900000-0000-7000-8000-000000000001", "agent": "ck-0000abcd",
        "materials": ["证" * 120] * 64, "agent_signature": {"strokes": strokes},
        "officer_signature": {"strokes": strokes},
    }  # fmt: skip
    Handover.model_validate(request)
    assert _size(request) <= HANDOVER_BODY_BYTES
