"""`bianmin catalog ...`: check a catalog file and summarise the village registry.

Only typer is imported at module level; the models load when a command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="The matter catalog (事项目录) and the village registry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FileArg = Annotated[
    Path | None,
    typer.Argument(help="A catalog JSON file; default: the seed catalog.", show_default=False),
]
VillagesOpt = Annotated[
    Path | None,
    typer.Option(
        "--villages",
        help="Also check that this village registry fits the catalog.",
        show_default=False,
    ),
]


def _fail(exc: Exception) -> typer.Exit:
    """Each problem on its own line, each line in the command line's one error format."""
    code = getattr(exc, "code", "catalog_error")
    for problem in str(exc).splitlines() or [""]:
        typer.echo(f"error ({code}): {problem}", err=True)
    return typer.Exit(1)


@app.command()
def check(file: FileArg = None, villages: VillagesOpt = None) -> None:
    """Validate a catalog and print one JSON line with its figures; exit 1 if it is invalid."""
    from hub.catalog.errors import CatalogError
    from hub.catalog.loader import load_catalog
    from hub.catalog.service import check_registry, indicators
    from hub.catalog.villages import load_villages
    from protocol.seed import SEED_CATALOG

    path = file or SEED_CATALOG
    try:
        catalog = load_catalog(path)
        if villages is not None:
            check_registry(load_villages(villages), catalog, str(villages))
    except CatalogError as exc:
        raise _fail(exc) from None
    figures = indicators(catalog).rounded()
    line = {"file": str(path), "version": catalog.version, **figures}
    typer.echo(json.dumps(line, ensure_ascii=False))


@app.command("villages")
def villages_summary(
    file: Annotated[
        Path | None,
        typer.Argument(help="A village registry file; default: the seed.", show_default=False),
    ] = None,
) -> None:
    """Print one JSON line summarising the village registry; exit 1 if it is invalid."""
    from hub.catalog.errors import CatalogError
    from hub.catalog.villages import load_villages
    from protocol.seed import SEED_VILLAGES

    path = file or SEED_VILLAGES
    try:
        registry = load_villages(path)
    except CatalogError as exc:
        raise _fail(exc) from None
    line = {"file": str(path), "county": registry.county.name, **registry.summary()}
    typer.echo(json.dumps(line, ensure_ascii=False))
