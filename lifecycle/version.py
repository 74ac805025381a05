"""The installed distribution's version, read from its metadata once (pyproject.toml is the
only place it is written)."""

from __future__ import annotations

from functools import cache
from importlib import metadata

DISTRIBUTION = "bianmin"


@cache
def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        # a source tree run without `pip install -e .`: say so rather than guess a number
        return "0+unknown"
