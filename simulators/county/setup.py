"""The hub's database before `hub serve` starts: the schema, the county's units, an operator
account for the simulated offices and the report, and the first signed configuration for every
unit (two canaries first, as demo does), which the hub process then rolls out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from protocol.villages import Village


@dataclass(frozen=True)
class PreparedHub:
    token: str  # the operator's Bearer token
    hub_key: str  # the public key units pin


def prepare_hub(root: Path, database_url: str, villages: list[Village]) -> PreparedHub:
    from sqlmodel import Session

    from hub.accounts.roles import Actor, Role
    from hub.accounts.store import add_account
    from hub.app import create_app
    from hub.fleet.units import register_units
    from hub.rollouts.models import RolloutCreate, Target
    from hub.rollouts.store import create_rollout
    from hub.settings import HubSettings
    from protocol.signing import public_key_to_text

    settings = HubSettings(database_url=database_url, data_dir=root / "hub")
    app = create_app(settings)
    engine = app.state.engine
    try:
        with Session(engine) as session:
            register_units(session, units=[(v.unit_id, v.name, v.division) for v in villages])
            token = add_account(session, name="county-sim", role=Role.OPERATOR)
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
    return PreparedHub(token, key)
