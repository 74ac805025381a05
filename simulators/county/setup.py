"""The hub's database before `hub serve` starts: the schema, the county's units, an operator
account for the simulated offices and the report (and a second one, who approves the noon
catalog change), and the first signed configuration for every unit (two canaries first, as
demo does), which the hub process then rolls out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from protocol.villages import Village


@dataclass(frozen=True)
class PreparedHub:
    token: str  # the operator's Bearer token
    hub_key: str  # the public key units pin
    approver: str  # a second operator's token: approves the first one's catalog draft


def villages_file(root: Path, villages: list[Village]) -> Path:
    """The seed registry cut down to the villages that run: a smaller run is a county of
    those villages, so a rollout to every unit (the catalog's) reaches only units that run."""
    from protocol.seed import SEED_VILLAGES

    data = json.loads(Path(SEED_VILLAGES).read_text())
    chosen = {v.unit_id for v in villages}
    data["villages"] = [v for v in data["villages"] if v["unit_id"] in chosen]
    path = root / "villages.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def prepare_hub(
    root: Path, database_url: str, villages: list[Village], registry: Path | None = None
) -> PreparedHub:
    from sqlmodel import Session

    from hub.accounts.roles import Actor, Role
    from hub.accounts.store import add_account
    from hub.app import create_app
    from hub.fleet.units import register_units
    from hub.rollouts.models import RolloutCreate, Target
    from hub.rollouts.store import create_rollout
    from hub.settings import HubSettings
    from protocol.signing import public_key_to_text

    settings = HubSettings(database_url=database_url, data_dir=root / "hub", villages_file=registry)
    app = create_app(settings)
    engine = app.state.engine
    try:
        with Session(engine) as session:
            register_units(session, units=[(v.unit_id, v.name, v.division) for v in villages])
            token = add_account(session, name="county-sim", role=Role.OPERATOR)
            approver = add_account(session, name="county-sim-approver", role=Role.OPERATOR)
            session.commit()
        units = [v.unit_id for v in villages]
        request = RolloutCreate(
            target=Target(units=units), canary_count=2 if len(units) > 4 else 0,
            note="县域模拟：首次配置下发",
        )  # fmt: skip
        with Session(engine) as session:
            create_rollout(
                session, request=request, actor=Actor("county-sim", Role.OPERATOR),
                catalog=app.state.catalogs.current, registry=app.state.registry,
            )  # fmt: skip
        key = public_key_to_text(app.state.signing_key.public_key())
    finally:
        engine.dispose()
    return PreparedHub(token, key, approver)
