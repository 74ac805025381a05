"""`bianmin edge ...`: commands that run on a unit."""

from __future__ import annotations

import typer

from edge.devices.cli import print_test

app = typer.Typer(help="commands that run on a unit", no_args_is_help=True)
app.command("print-test")(print_test)
