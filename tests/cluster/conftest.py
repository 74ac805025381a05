"""Cluster tests start real processes; whatever a test leaves running is stopped after it."""

from collections.abc import Iterator

import pytest

from tests.chaos.harness import Proc


@pytest.fixture(autouse=True)
def reap_processes() -> Iterator[None]:
    yield
    for proc in list(Proc.running):
        proc.terminate()


@pytest.fixture
def pg_url(postgres_database: str) -> Iterator[str]:
    """A PostgreSQL schema of its own: several hub processes writing at once is PostgreSQL's
    part in a clustered deployment (docs/cluster.md)."""
    from tests.conftest import _postgres_schema_url

    yield from _postgres_schema_url(postgres_database)
