"""The unit applies only valid, newer, signed configurations, all at once, and reports every
outcome; after any rejection the old configuration keeps running. No network: the catalog
slice is put in the artifact cache as if it had been downloaded."""

import asyncio
import json

import pytest

from edge.config import ArtifactFetcher, ConfigApplier
from edge.config.applier import CURRENT_FILE
from protocol.messages import ConfigReported
from protocol.signing import generate_key, public_key_to_text
from tests.support.config import body, payload, put_in_cache, signed, slice_bytes, slice_ref

KEY = generate_key()
SLICE = slice_bytes()
REF = slice_ref(SLICE)


class Unit:
    """A unit's config side over a temporary directory, with its reports captured."""

    def __init__(self, root, key=KEY, unit="t001"):
        self.root = root
        self.reports: list[ConfigReported] = []
        put_in_cache(root / "artifacts", SLICE)
        self.applier = ConfigApplier(
            unit,
            key=key.public_key() if key is not None else None,
            fetcher=ArtifactFetcher(root / "artifacts", None),
            config_dir=root / "config",
            publish=self._publish,
        )

    def _publish(self, topic, data, qos, retain):
        assert topic == "bianmin/v1/u/t001/config/reported"
        self.reports.append(ConfigReported.model_validate_json(data))
        return True

    def offer(self, document_or_bytes) -> ConfigReported:
        data = (
            document_or_bytes
            if isinstance(document_or_bytes, bytes)
            else payload(document_or_bytes)
        )
        outcome = asyncio.run(self.applier.apply(data))
        self.applier.report(outcome)
        return outcome

    @property
    def persisted(self) -> bytes:
        return (self.root / "config" / CURRENT_FILE).read_bytes()


def code_of(outcome: ConfigReported) -> str:
    """The stable code a rejection report starts with."""
    return (outcome.reason or "").split(":", 1)[0]


def config(version, unit="t001", key=KEY, **extra):
    return signed(key, unit, version, body(REF, **extra))


@pytest.fixture
def unit(tmp_path):
    u = Unit(tmp_path)
    assert u.offer(config(2)).status == "applied"
    return u


def test_a_valid_config_is_applied_persisted_and_reported(unit):
    assert unit.applier.version == 2
    assert unit.applier.current.catalog.catalog_version == 1
    assert len(unit.applier.current.catalog.matters) == 2
    assert unit.reports[-1].status == "applied"
    assert unit.reports[-1].version == 2
    assert json.loads(unit.persisted)["version"] == 2


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: {**config(3), "version": 4}, "bad_signature"),  # tampered after signing
        (lambda: config(3, key=generate_key()), "bad_signature"),  # wrong key
        (lambda: config(1), "stale_version"),  # older: a rollback attack
        (lambda: {k: v for k, v in config(3).items() if k != "sig"}, "bad_signature"),
        (lambda: b'{"version": 3, "body": ', "malformed_json"),
        (lambda: config(3, unit="t002"), "unit_mismatch"),
        (lambda: config(2, thresholds={"deferred_material_days": 9}), "version_conflict"),
    ],
    ids=["tampered", "wrong-key", "older", "unsigned", "malformed", "other-unit", "same-version"],
)
def test_a_bad_config_is_rejected_with_its_code_and_the_old_one_keeps_running(unit, make, code):
    running, persisted = unit.applier.current, unit.persisted
    outcome = unit.offer(make())
    assert outcome.status == "rejected"
    assert code_of(outcome) == code
    assert unit.reports[-1] == outcome
    assert unit.applier.current is running  # the very same object: nothing was swapped
    assert unit.persisted == persisted


def test_the_running_version_delivered_again_is_acknowledged_without_reapplying(unit):
    running = unit.applier.current
    outcome = unit.offer(unit.persisted)  # what every reconnect brings (retained message)
    assert (outcome.status, outcome.version) == ("applied", 2)
    assert unit.applier.current is running
    assert unit.applier.applied == 1


def test_a_newer_config_replaces_the_running_one_in_one_step(unit):
    assert unit.applier.current.rating_timeout_s == 60  # the profile's own
    newer = config(5, thresholds={"deferred_material_days": 9, "rating_timeout_s": 90})
    assert unit.offer(newer).status == "applied"
    assert unit.applier.version == 5
    assert unit.applier.current.thresholds.deferred_material_days == 9
    assert unit.applier.current.rating_timeout_s == 90
    assert not list((unit.root / "config").glob(".*"))  # no temporary file left behind


def test_a_slice_that_contradicts_the_config_is_rejected(unit):
    outcome = unit.offer(signed(KEY, "t001", 3, body(REF, catalog_version=7)))
    assert code_of(outcome) == "artifact_invalid"
    assert "version 1" in outcome.reason
    assert unit.applier.version == 2


def test_a_unit_without_a_pinned_key_rejects_everything(tmp_path):
    u = Unit(tmp_path, key=None)
    outcome = u.offer(config(1))
    assert code_of(outcome) == "no_pinned_key"
    assert u.applier.current is None


def test_without_the_artifact_and_without_a_hub_url_the_config_is_rejected(tmp_path):
    u = Unit(tmp_path)
    (tmp_path / "artifacts" / REF.sha256).unlink()
    assert code_of(u.offer(config(1))) == "artifact_unavailable"


def test_after_a_restart_the_unit_runs_its_persisted_config_and_still_refuses_older_ones(
    unit, tmp_path
):
    again = Unit(tmp_path)
    again.applier.restore()
    assert again.applier.version == 2
    assert code_of(again.offer(config(1))) == "stale_version"


def test_a_tampered_file_on_disk_is_not_trusted_at_start(unit, tmp_path):
    document = json.loads(unit.persisted)
    document["body"]["thresholds"]["deferred_material_days"] = 40
    (tmp_path / "config" / CURRENT_FILE).write_text(json.dumps(document))
    again = Unit(tmp_path)
    again.applier.restore()
    assert again.applier.current is None


def test_a_persisted_config_whose_artifact_vanished_is_fetched_again_but_keeps_its_floor(
    unit, tmp_path
):
    (tmp_path / "artifacts" / REF.sha256).unlink()
    again = Unit(tmp_path)
    (tmp_path / "artifacts" / REF.sha256).unlink()  # Unit() put it back; take it away again
    again.applier.restore()
    assert again.applier.current is None
    assert code_of(again.offer(config(1))) == "stale_version"


def test_the_same_bad_payload_is_answered_from_memory(unit):
    bad = config(3, key=generate_key())
    first = unit.offer(bad)
    second = unit.offer(bad)
    assert first.reason == second.reason
    assert unit.applier.rejected == 1  # verified once, answered twice


def test_a_cleared_retained_message_is_not_a_config_to_judge(unit):
    unit.applier.on_config(b"")  # the broker deleting the retained config sends an empty one
    assert unit.applier._pending is None
    assert unit.applier.version == 2


def test_the_heartbeat_period_follows_the_running_config(tmp_path):
    from edge.agent import build_agent
    from edge.settings import EdgeSettings
    from simulators.kit import SimulatedKit

    settings = EdgeSettings(
        unit_id="t001",
        data_dir=tmp_path,
        event_rate=0,
        health_interval_s=30,
        hub_public_key=public_key_to_text(KEY.public_key()),
    )
    put_in_cache(tmp_path / "artifacts", SLICE)

    async def scenario():
        agent = build_agent(settings, kit=SimulatedKit(settings))
        before = agent.health_interval()
        outcome = await agent.config.apply(payload(config(1, thresholds={"health_interval_s": 10})))
        after = agent.health_interval()
        await agent.event_log.close()
        return before, outcome.status, after

    assert asyncio.run(scenario()) == (30, "applied", 10)


def test_a_rejection_reason_with_line_breaks_is_reported_as_printable_text():
    """An HTTP error's text has line breaks; the contract takes printable text only, so the
    report must still be valid rather than fail to build."""
    from edge.config.applier import ConfigApplier

    report = ConfigApplier._outcome(3, "rejected", "artifact_unavailable: 500\nFor more: x")
    assert report.reason == "artifact_unavailable: 500\\u000aFor more: x"
