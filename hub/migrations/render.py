"""How autogenerate writes column types into a migration: plain SQLAlchemy types only, so a
migration never imports the models (which change after it was written)."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    if kind != "type":
        return False
    name = type(obj).__name__
    if name == "UtcDateTime":
        return "sa.DateTime(timezone=True)"
    if name == "AutoString":
        length = getattr(obj, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    if isinstance(obj, sa.JSON):
        return "sa.JSON()"
    return False
