"""`bianmin calendar check FILE` (anywhere: one JSON line, or the file, field and reason) and
`bianmin hub calendar upload FILE | show` (on the hub's machine, against its database; an
upload is audited like one through the API).

Only typer is imported at module level; the models load when a command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hub.options import DEFAULT_DATABASE, DatabaseOpt

app = typer.Typer(
    help="The working-day calendar (节假日安排): check a calendar file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
hub_app = typer.Typer(
    help="The working-day calendar units count deadlines on: upload a version, show it.",
    no_args_is_help=True,
)
FileArg = Annotated[
    Path, typer.Argument(help="A calendar JSON file, as protocol/seed/calendar.json")
]


def _fail(exc: Exception) -> typer.Exit:
    """Each problem on its own line, each line in the command line's one error format."""
    code = getattr(exc, "code", "calendar_error")
    for problem in str(exc).splitlines() or [""]:
        typer.echo(f"error ({code}): {problem}", err=True)
    return typer.Exit(1)


@app.command()
def check(file: FileArg) -> None:
    """Validate a calendar and print one JSON line with its years; exit 1 if it is invalid."""
    from hub.calendar.loader import load_calendar, summary
    from hub.catalog.errors import CatalogError

    try:
        doc = load_calendar(file)
    except CatalogError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps({"file": str(file), **summary(doc)}, ensure_ascii=False))


@hub_app.command("upload")
def upload(file: FileArg, database: DatabaseOpt = DEFAULT_DATABASE) -> None:
    """Make FILE the current calendar (its version must be above the current one). Units get
    it with the next configuration rollout."""
    from hub.accounts.roles import command_line_actor
    from hub.calendar.loader import summary
    from hub.calendar.versions import upload_calendar
    from hub.catalog.errors import CatalogError
    from hub.db import open_session

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error (calendar_unreadable): {file}: {exc}", err=True)
        raise typer.Exit(1) from None
    with open_session(database) as session:
        try:
            doc = upload_calendar(session, text=text, actor=command_line_actor())
        except CatalogError as exc:
            raise _fail(exc) from None
    typer.echo(json.dumps(summary(doc), ensure_ascii=False))


@hub_app.command("show")
def show(
    database: DatabaseOpt = DEFAULT_DATABASE,
    document: Annotated[
        bool, typer.Option("--document", help="print the whole document, to edit the next one")
    ] = False,
) -> None:
    """Print the current calendar's summary (or its document) as one JSON line."""
    from hub.calendar.loader import summary
    from hub.calendar.versions import current_document, document_json
    from hub.db import open_session

    with open_session(database) as session:
        doc, sha, source = current_document(session)
    out = document_json(doc) if document else {**summary(doc), "sha256": sha, "source": source}
    typer.echo(json.dumps(out, ensure_ascii=False))
