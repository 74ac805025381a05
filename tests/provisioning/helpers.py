"""Shared pieces of the provisioning tests: a state directory set up with `provision init`,
the CLI run in-process, and every secret the store holds (to prove none is ever printed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from bianmin.cli import app
from protocol.signing import generate_key, public_key_to_text
from provisioning.store import IdentityStore


def hub_public_key() -> str:
    return public_key_to_text(generate_key().public_key())


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["provision", *args], env=env, catch_exceptions=False)


def init(state: Path, *extra: str, broker_url: str = "mqtt://10.20.0.2:1883") -> None:
    result = run(
        "init",
        "--state-dir", str(state),
        "--broker-url", broker_url,
        "--hub-url", "http://10.20.0.2:8000",
        "--hub-public-key", hub_public_key(),
        *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def all_secrets(state: Path) -> list[str]:
    store = IdentityStore(state)
    county = store.county(create=False)
    found = [county.id_key.get_secret_value(), county.hub_broker_password.get_secret_value()]
    for identity in store.identities().values():
        for secret in (identity.broker_password, identity.hub_token, identity.template_key):
            found.append(secret.get_secret_value())
    return found


def assert_no_secret_in(text: str, state: Path) -> None:
    leaked = [s[:6] + "..." for s in all_secrets(state) if s in text]
    assert not leaked, f"secrets printed: {leaked}"


def small_registry(path: Path, count: int) -> Path:
    """The seed registry's first ``count`` villages (tests that need a few units, not 76)."""
    import json

    from protocol.seed import SEED_VILLAGES

    data = json.loads(SEED_VILLAGES.read_text(encoding="utf-8"))
    data["villages"] = data["villages"][:count]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
