"""Options shared by the commands that run on the hub's machine against its database
(`bianmin hub user | unit-token | blacklist | registry | clerks`). Only typer is imported here, so
`bianmin --help` stays fast."""

from __future__ import annotations

from typing import Annotated

import typer

DEFAULT_DATABASE = "sqlite:///var/hub/hub.sqlite3"
DatabaseOpt = Annotated[
    str,
    typer.Option(
        envvar="BIANMIN_HUB_DATABASE_URL",
        help="sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
    ),
]
