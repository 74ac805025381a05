"""`bianmin provision` with the offline backend over the county's 76-unit seed registry: plan,
apply, a second apply that changes nothing, resume after an interruption, rotate and revoke."""

import json
import stat
import subprocess

import pytest

from provisioning.bundle import BundleBackend
from provisioning.credentials import load as load_credentials
from provisioning.store import IdentityStore, token_hash
from tests.provisioning.helpers import assert_no_secret_in, init, run
from tests.support.processes import BIANMIN


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(directory) -> dict:
    return {p: p.stat().st_mtime_ns for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def state(tmp_path):
    state = tmp_path / "provision"
    init(state, "--profile", "gaoxin-qu=pi5-usbcam-58mm")
    return state


def test_apply_provisions_76_bundles_and_a_second_run_changes_nothing(state):
    planned = run("plan", "--state-dir", str(state))
    assert sorted(p.name for p in state.iterdir()) == ["fleet.json"]  # plan wrote nothing
    assert last_json(planned.output) | {"withdraw": []} == {
        "backend": "bundle", "units": 76, "changes": 76, "create": 76, "update": 0,
        "deliver": 76, "withdraw": [], "not_in_registry": [], "certificates": {},
    }  # fmt: skip
    first = run("apply", "--state-dir", str(state))
    assert first.exit_code == 0, first.output
    assert last_json(first.output)["created"] == 76
    assert last_json(first.output)["delivered"] == 76
    bundles = state / "bundles"
    before = snapshot(bundles)

    second = run("apply", "--state-dir", str(state))
    again = run("plan", "--state-dir", str(state), "--json")

    assert last_json(second.output) | {"broker_credentials": "", "hub_unit_tokens": ""} == {
        "backend": "bundle", "created": 0, "updated": 0, "delivered": 0, "withdrawn": 0,
        "failed": {}, "certificates": [], "broker_credentials": "", "hub_unit_tokens": "",
    }  # fmt: skip
    assert last_json(again.output)["changes"] == 0
    assert snapshot(bundles) == before  # not one file rewritten
    for result in (planned, first, second, again):
        assert_no_secret_in(result.output, state)


def test_secrets_are_written_for_their_owner_only(state):
    run("apply", "--state-dir", str(state))
    store = IdentityStore(state)
    assert mode(state) == 0o700
    assert mode(store.secrets_dir) == 0o700
    assert mode(state / "bundles") == 0o700
    private = [*store.units_dir.iterdir(), store.broker_credentials, store.tokens_file]
    private += list((state / "bundles").glob("*/identity.json"))
    assert len(private) == 76 * 2 + 2
    assert {mode(p) for p in private} == {0o600}
    creds = load_credentials(store.broker_credentials)
    identities = store.identities()
    assert creds.units == {u: i.broker_password.get_secret_value() for u, i in identities.items()}
    tokens = json.loads(store.tokens_file.read_text())
    assert tokens["units"]["qingshui-shequ"] == token_hash(identities["qingshui-shequ"].hub_token)
    assert tokens["revoked"] == []


def test_a_bundle_holds_the_units_identity_services_and_its_profiles_config_txt(state):
    run("apply", "--state-dir", str(state))
    bundle = state / "bundles" / "qingshui-shequ"
    manifest = json.loads((bundle / "bundle.json").read_text())
    assert manifest["hardware_profile"] == "pi4-cm3-80mm"
    assert set(manifest["files"]) == {p.name for p in bundle.iterdir()}
    assert (bundle / "config.txt.bianmin").read_text().splitlines() == [
        "camera_auto_detect=0", "dtoverlay=imx708", "dtoverlay=vc4-kms-v3d", "gpu_mem=128",
        "disable_splash=1",
    ]  # fmt: skip
    assert "--bundle /etc/bianmin" in (bundle / "bianmin-agent.service").read_text()
    assert "--kiosk" in (bundle / "bianmin-kiosk.service").read_text()
    identity = json.loads((bundle / "identity.json").read_text())
    assert identity["window_name"] == "清水社区"
    # the high-tech zone's units have the other hardware
    zone = json.loads((state / "bundles" / "kechuang-shequ" / "bundle.json").read_text())
    assert zone["hardware_profile"] == "pi5-usbcam-58mm"


def test_an_interrupted_apply_resumes_with_the_units_it_had_not_done(state, monkeypatch):
    real = BundleBackend.deliver
    calls: list[str] = []

    def deliver_then_stop(self, target, fingerprint, unit_state, save):
        if len(calls) == 30:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the run
        calls.append(target.unit)
        real(self, target, fingerprint, unit_state, save)

    monkeypatch.setattr(BundleBackend, "deliver", deliver_then_stop)
    stopped = run("apply", "--state-dir", str(state))
    assert stopped.exit_code != 0  # click turns the interrupt into an abort
    monkeypatch.setattr(BundleBackend, "deliver", real)
    plan = last_json(run("plan", "--state-dir", str(state), "--json").output)
    assert plan["create"] == 0  # every identity was saved before the first delivery
    assert plan["deliver"] == 76 - 30
    done = {u: (state / "bundles" / u / "identity.json").read_text() for u in calls}

    resumed = last_json(run("apply", "--state-dir", str(state)).output)

    assert resumed["delivered"] == 76 - 30
    assert resumed["created"] == 0
    assert {u: (state / "bundles" / u / "identity.json").read_text() for u in calls} == done
    assert last_json(run("plan", "--state-dir", str(state), "--json").output)["changes"] == 0


def test_rotate_gives_one_unit_new_credentials_and_apply_redelivers_only_it(state):
    run("apply", "--state-dir", str(state))
    store = IdentityStore(state)
    before = load_credentials(store.broker_credentials)
    token_before = json.loads(store.tokens_file.read_text())["units"]

    rotated = run("rotate", "qingshui-shequ", "--state-dir", str(state))

    assert rotated.exit_code == 0
    assert last_json(rotated.output)["generation"] == 2
    assert_no_secret_in(rotated.output, state)
    after = load_credentials(store.broker_credentials)
    changed = {u for u in before.units if before.units[u] != after.units[u]}
    assert changed == {"qingshui-shequ"}
    assert after.hub_password == before.hub_password
    tokens_after = json.loads(store.tokens_file.read_text())["units"]
    assert {u for u in token_before if token_before[u] != tokens_after[u]} == {"qingshui-shequ"}
    plan = last_json(run("plan", "--state-dir", str(state), "--json").output)
    assert [(c["unit"], c["identity"], c["deliver"]) for c in plan["unit_changes"]] == [
        ("qingshui-shequ", "keep", True)
    ]
    assert last_json(run("apply", "--state-dir", str(state)).output)["delivered"] == 1
    bundle = json.loads((state / "bundles/qingshui-shequ/identity.json").read_text())
    assert bundle["generation"] == 2
    assert bundle["broker_password"] == after.units["qingshui-shequ"]


def test_revoke_withdraws_the_bundle_and_the_unit_is_never_issued_again(state):
    run("apply", "--state-dir", str(state))
    store = IdentityStore(state)

    revoked = run("revoke", "qingshui-shequ", "--state-dir", str(state))

    assert revoked.exit_code == 0
    assert "qingshui-shequ" not in load_credentials(store.broker_credentials).units
    tokens = json.loads(store.tokens_file.read_text())
    assert "qingshui-shequ" not in tokens["units"]
    assert tokens["revoked"] == ["qingshui-shequ"]
    plan = last_json(run("plan", "--state-dir", str(state), "--json").output)
    assert plan["withdraw"] == ["qingshui-shequ"]
    assert plan["units"] == 75
    result = last_json(run("apply", "--state-dir", str(state)).output)
    assert result["withdrawn"] == 1
    assert result["created"] == 0
    assert not (state / "bundles" / "qingshui-shequ").exists()
    assert last_json(run("plan", "--state-dir", str(state), "--json").output)["changes"] == 0
    status = json.loads(run("status", "--state-dir", str(state), "--json").output)
    rows = {r["unit"]: r for r in status["units"]}
    assert rows["qingshui-shequ"]["identity"] == "revoked"
    assert rows["wuli-cun"] == {
        "unit": "wuli-cun", "identity": "generation 1", "bundle": "bundle ready (generation 1)"
    }  # fmt: skip


def test_a_changed_broker_address_updates_every_identity_but_keeps_its_secrets(state, tmp_path):
    run("apply", "--state-dir", str(state))
    before = load_credentials(IdentityStore(state).broker_credentials)
    fleet = json.loads((state / "fleet.json").read_text())
    fleet["broker_url"] = "mqtt://10.20.0.9:1883"
    (state / "fleet.json").write_text(json.dumps(fleet))

    plan = last_json(run("plan", "--state-dir", str(state), "--json").output)
    result = last_json(run("apply", "--state-dir", str(state)).output)

    assert (plan["update"], plan["deliver"]) == (76, 76)
    assert result["updated"] == 76
    assert load_credentials(IdentityStore(state).broker_credentials) == before
    identity = json.loads((state / "bundles/wuli-cun/identity.json").read_text())
    assert identity["broker_url"] == "mqtt://10.20.0.9:1883"


def test_a_clustered_broker_spreads_units_over_its_nodes_each_with_every_node(tmp_path):
    """GIVEN three broker nodes and the NATS engine WHEN identities are written THEN each unit
    has all three, starting at a node chosen from its id, so every node is first for some."""
    state = tmp_path / "provision"
    nodes = [f"mqtt://10.20.0.{i}:1883" for i in (2, 3, 4)]
    extra = [a for n in nodes[1:] for a in ("--broker-url", n)]
    init(state, *extra, "--broker-engine", "nats", broker_url=nodes[0])
    result = run("apply", "--state-dir", str(state))
    assert result.exit_code == 0, result.output

    firsts = []
    for bundle in (state / "bundles").iterdir():
        identity = json.loads((bundle / "identity.json").read_text())
        urls = identity["broker_urls"]
        assert sorted(urls) == nodes
        assert urls[0] == identity["broker_url"]
        assert urls == nodes[nodes.index(urls[0]) :] + nodes[: nodes.index(urls[0])]
        assert identity["broker_engine"] == "nats"
        firsts.append(urls[0])
    counts = [firsts.count(n) for n in nodes]
    assert sum(counts) == 76
    assert min(counts) >= 15, counts  # about a third each


def test_settings_errors_say_what_to_do(tmp_path):
    missing = subprocess.run(
        [BIANMIN, "provision", "plan", "--state-dir", str(tmp_path / "none")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode == 2
    assert "run `bianmin provision init" in missing.stderr
    bad = subprocess.run(
        [BIANMIN, "provision", "init", "--state-dir", str(tmp_path / "p"),
         "--broker-url", "mqtt://h:1883", "--hub-public-key", "bm9wZQ==",
         "--profile", "qingshui-shequ=no-such-profile"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("error (invalid_settings): ")


def test_the_hubs_seal_key_reaches_every_identity_and_the_units_settings(tmp_path):
    """`provision init --hub-seal-key` (`bianmin hub id-key seal-public`): pinned in every
    identity, read into the unit's settings, so a unit may identify by number offline."""
    import base64

    from edge.bundle import identity_settings, load_identity
    from edge.settings import EdgeSettings
    from protocol import idseal

    public = base64.b64encode(idseal.public_key(idseal.new_private_key())).decode()
    state = tmp_path / "provision"
    init(state, "--hub-seal-key", public)
    run("apply", "--state-dir", str(state))
    bundle = state / "bundles" / "qingshui-shequ"
    assert json.loads((bundle / "identity.json").read_text())["hub_seal_key"] == public
    fields = identity_settings(load_identity(bundle), tmp_path / "data")
    assert EdgeSettings(**fields, data_dir=tmp_path / "data").hub_seal_key == public
