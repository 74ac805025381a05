"""`bianmin profile ...`: check hardware profile files before they go into a rollout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Hardware profiles of unit models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="profile TOML files", show_default=False)],
) -> None:
    """Validate profiles: one JSON line per good file; for a bad one, the file, the field and
    the reason on stderr, and exit 1."""
    from firmware_config.loader import ProfileError, load_profile

    failed = False
    for path in files:
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            typer.echo(f"error ({exc.code}):\n{exc}", err=True)
            failed = True
            continue
        line = {
            "file": str(path),
            "name": profile.name,
            "board": profile.board,
            "camera": profile.camera.backend,
            "paper_width_mm": profile.printer.paper_width_mm,
            "transport": profile.printer.transport.kind,
        }
        typer.echo(json.dumps(line, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


@app.command("list")
def list_() -> None:
    """The profiles shipped with bianmin, one JSON line each."""
    from firmware_config.loader import builtin_profiles

    for name, profile in sorted(builtin_profiles().items()):
        typer.echo(json.dumps({"name": name, "description": profile.description}))
