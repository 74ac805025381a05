"""The root `bianmin` command. Each role's commands live beside its code and import their
heavy dependencies (numpy, LiteRT, FastAPI, escpos) lazily, inside the commands, so a unit
without the hub extra can still run `bianmin edge ...` and `--help` stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bianmin.boundary import run
from edge.cli import create_app as create_edge_app
from edge.face.cli import face_app
from firmware_config.cli import app as profile_app
from hub.calendar.cli import app as calendar_app
from hub.catalog.cli import app as catalog_app
from hub.cli import app as hub_app
from hub.rollouts.cli import app as rollout_app
from lifecycle import version as installed_version
from provisioning.cli import app as broker_app
from provisioning.provision_cli import app as provision_app
from simulators.cli import app as simulate_app
from simulators.cli import demo

if TYPE_CHECKING:
    from edge.kit import UnitKit
    from edge.settings import EdgeSettings


def _simulated_kit(settings: EdgeSettings) -> UnitKit:
    # imported on use: a unit running its real devices never loads the simulators
    from simulators.kit import SimulatedKit

    return SimulatedKit(settings)


app = typer.Typer(
    name="bianmin",
    help="便民 service-window fleet: units at village windows, a hub at the county.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(demo)
app.add_typer(broker_app, name="broker")
app.add_typer(hub_app, name="hub")
app.add_typer(create_edge_app(simulated_kit=_simulated_kit), name="edge")
app.add_typer(simulate_app, name="simulate")
app.add_typer(catalog_app, name="catalog")
app.add_typer(calendar_app, name="calendar")
app.add_typer(face_app, name="face")
app.add_typer(rollout_app, name="rollout")
app.add_typer(profile_app, name="profile")
app.add_typer(provision_app, name="provision")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(installed_version())


def main() -> None:
    # one error boundary for every command (bianmin.boundary): one line, a stable code
    run(app)
