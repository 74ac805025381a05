"""Two officers deciding one case at the same moment, on SQLite and PostgreSQL: one decision
wins, the other is refused as the status has moved on, and only one notice is issued."""

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.accounts.roles import Actor, Role
from hub.app import create_app
from hub.backoffice.reach import Reach
from hub.backoffice.steps import Complete, Receive, Reject, take_step
from hub.errors import StepNotAllowed
from hub.notices.tables import NOTICES
from hub.settings import HubSettings
from tests.hub.backoffice.helpers import forwarded
from tests.support.cases import START


@pytest.fixture
def client(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        c.app.state.clock = lambda: START + timedelta(days=3)  # type: ignore[attr-defined]
        yield c


def test_completing_and_rejecting_at_once_leaves_one_decision_and_one_notice(client):
    state = client.app.state
    case_id = forwarded(client, "dongjie-cun")
    ops = Reach(Actor("ops", Role.OPERATOR), None)
    with state.engine.begin() as conn:
        take_step(conn, "receive", Receive(), case_id=case_id,
                  reach=ops, key=state.signing_key, registry=state.registry,
                  catalog=state.catalogs.current)  # fmt: skip
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(name, body):
        start.wait()
        try:
            with state.engine.begin() as conn:
                take_step(conn, name, body, case_id=case_id, reach=ops, key=state.signing_key,
                          registry=state.registry, catalog=state.catalogs.current)  # fmt: skip
            outcomes.append(name)
        except StepNotAllowed:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=decide, args=("complete", Complete(result="准予"))),
        threading.Thread(target=decide, args=("reject", Reject(reason="不符合条件"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) in (["complete", "refused"], ["refused", "reject"])
    with state.engine.connect() as conn:
        assert len(conn.execute(select(NOTICES)).all()) == 1
