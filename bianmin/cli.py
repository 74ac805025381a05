"""The root `bianmin` command. Each role's commands live beside its code and import their
heavy dependencies (numpy, LiteRT, FastAPI, escpos) lazily, inside the commands, so a unit
without the hub extra can still run `bianmin edge ...` and `--help` stays fast."""

from __future__ import annotations

import typer

from bianmin import __version__
from edge.cli import app as edge_app
from edge.face.cli import face_app
from firmware_config.cli import app as profile_app
from hub.catalog.cli import app as catalog_app
from hub.cli import app as hub_app
from hub.rollouts.cli import app as rollout_app
from provisioning.cli import broker
from simulators.cli import app as simulate_app
from simulators.cli import demo

app = typer.Typer(
    name="bianmin",
    help="便民 service-window fleet: units at village windows, a hub at the county.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(demo)
app.command()(broker)
app.add_typer(hub_app, name="hub")
app.add_typer(edge_app, name="edge")
app.add_typer(simulate_app, name="simulate")
app.add_typer(catalog_app, name="catalog")
app.add_typer(face_app, name="face")
app.add_typer(rollout_app, name="rollout")
app.add_typer(profile_app, name="profile")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()
