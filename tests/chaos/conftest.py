"""Chaos tests start real processes; whatever a test leaves running is stopped after it."""

from collections.abc import Iterator

import pytest

from tests.chaos.harness import Proc


@pytest.fixture(autouse=True)
def reap_processes() -> Iterator[None]:
    yield
    for proc in list(Proc.running):
        proc.terminate()
