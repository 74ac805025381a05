"""The root `bianmin` command. Each role's commands live beside its code and import lazily,
so a unit without the hub extra can still run `bianmin edge ...`."""

from __future__ import annotations

import typer

from bianmin import __version__

app = typer.Typer(
    name="bianmin",
    help="便民 service-window fleet: units at village windows, a hub at the county.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# edge/face/cli.py imports numpy and LiteRT only inside its commands
from edge.face.cli import face_app  # noqa: E402

app.add_typer(face_app, name="face")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()
