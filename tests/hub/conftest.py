"""A hub database with its tables, on SQLite and on PostgreSQL (``database_url``)."""

import pytest

from hub.db import create_tables, make_engine


@pytest.fixture
def engine(database_url):
    eng = make_engine(database_url)
    create_tables(eng)
    yield eng
    eng.dispose()
