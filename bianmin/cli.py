"""The root `bianmin` command. Each role's commands live beside its code and import lazily,
so a unit without the hub extra can still run `bianmin edge ...`."""

from __future__ import annotations

import typer

from bianmin import __version__
from edge.cli import app as edge_app

app = typer.Typer(
    name="bianmin",
    help="便民 service-window fleet: units at village windows, a hub at the county.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(edge_app, name="edge")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()
