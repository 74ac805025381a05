"""Writing a body for the config schema a unit reads: newer fields left out (and said so) for
an old agent, kept for a current one, and a required one never silently dropped."""

import pytest

from protocol import config_schema
from protocol.config import CONFIG_SCHEMA_VERSION
from protocol.config_schema import Introduced, SchemaTooOld, adapt_body, schema_note, unit_schema

BODY = {"schema_version": 1, "catalog": {}, "keys": {"serial": 1, "keys": []}}


def test_an_old_unit_gets_the_body_without_the_fields_its_schema_lacks():
    body, omitted = adapt_body(BODY, 1)
    assert "keys" not in body
    assert body["schema_version"] == 1
    assert omitted == ("keys",)
    assert "keys" in BODY  # the rendered body is left as it was
    assert "signing-key list" in (schema_note(1) or "")


def test_a_current_unit_gets_every_field_and_the_schema_they_need():
    body, omitted = adapt_body(BODY, CONFIG_SCHEMA_VERSION)
    assert body["keys"] == BODY["keys"]
    assert body["schema_version"] == 2
    assert omitted == ()
    assert schema_note(CONFIG_SCHEMA_VERSION) is None
    # a body without new fields stays schema 1, readable by every unit
    plain, _ = adapt_body({"catalog": {}}, CONFIG_SCHEMA_VERSION)
    assert plain["schema_version"] == 1


def test_the_schema_comes_from_the_heartbeat_and_defaults_to_the_first():
    assert unit_schema({"config_schema": 2}) == 2
    # never above what the hub writes
    assert unit_schema({"config_schema": 99}) == CONFIG_SCHEMA_VERSION
    assert unit_schema({}) == unit_schema(None) == unit_schema({"config_schema": True}) == 1


def test_a_required_field_is_refused_rather_than_left_out(monkeypatch):
    monkeypatch.setattr(
        config_schema, "INTRODUCED", (Introduced(("profile", "lock"), 2, "x", required=True),)
    )
    with pytest.raises(SchemaTooOld, match=r"profile\.lock needs 2"):
        adapt_body({"profile": {"lock": True}}, 1)
    body, _ = adapt_body({"profile": {"lock": None}}, 1)  # absent (None): nothing to refuse
    assert body["schema_version"] == 1


def test_a_software_release_is_refused_to_an_agent_that_predates_it_not_left_out():
    """Left out, the unit would report the rollout applied on its old version."""
    with pytest.raises(SchemaTooOld, match="software needs 3"):
        adapt_body({"catalog": {}, "software": {"release": {}}}, 2)
    body, omitted = adapt_body({"catalog": {}, "software": {"release": {}}}, 3)
    assert (body["schema_version"], omitted) == (3, ())
