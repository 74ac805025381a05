"""Alembic's environment for the hub: the connection comes from hub.migrations.runner (never
from a URL in a file), and the models' metadata is the target."""

from __future__ import annotations

from alembic import context

from hub.migrations.render import render_item
from hub.migrations.runner import target_metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    render_item=render_item,
    render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
