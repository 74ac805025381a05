"""The blacklist reaches units by itself, on SQLite and PostgreSQL: changes within the
coalescing window become one blacklist-only rollout to every configured unit, with each
unit's body unchanged but for the blacklist; it waits while another rollout is active, and
units whose body already carries the list get nothing."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from hub import audit
from hub.accounts.roles import Actor, Role
from hub.rollouts.blacklist_delivery import deliver_blacklist
from hub.rollouts.store import ROLLOUTS
from hub.window.blacklist import BlacklistEntryCreate, add_to_blacklist, remove_from_blacklist
from hub.window.blacklist_sync import delivery_state
from protocol.config import open_signed_config
from tests.support.rollouts import KEY, QINGSHUI, apply_all, create, drive, status

OPS = Actor("ops", Role.OPERATOR)
A, B = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"


def _list(engine, *refs, remove=()):
    with Session(engine) as s:
        for ref in refs:
            add_to_blacklist(
                s, entry=BlacklistEntryCreate(applicant_ref=ref, reason="x"), actor=OPS
            )
        for ref in remove:
            remove_from_blacklist(s, applicant_ref=ref)
        s.commit()


def _deliver(engine, after_s: float, coalesce_s: float = 30.0):
    with Session(engine) as s:
        return deliver_blacklist(
            s, now=datetime.now(UTC) + timedelta(seconds=after_s), coalesce_s=coalesce_s
        )


def _configure(engine, units=None):
    """A first rollout to the town's units (or some), applied everywhere; the documents."""
    r = create(engine, **({"target": {"units": units}} if units else {}))
    issued: dict[str, dict[str, object]] = {}
    while docs := drive(engine):
        issued |= docs
        apply_all(engine, docs)
    drive(engine)
    assert status(engine, r.id).state == "completed"
    return issued


def test_changes_within_the_window_go_out_in_one_blacklist_only_rollout(engine):
    _configure(engine)
    _list(engine, A)
    _list(engine, B)
    assert _deliver(engine, after_s=5) is None  # still coalescing
    with Session(engine) as s:
        assert delivery_state(s).pending_changes == 2
    rollout_id = _deliver(engine, after_s=31)
    assert rollout_id is not None
    r = status(engine, rollout_id)
    assert (r.kind, r.units, r.stages, r.failure_threshold) == ("blacklist", 12, 1, 1.0)
    docs = drive(engine)
    assert sorted(docs) == sorted(QINGSHUI)
    unit = QINGSHUI[0]
    _, body = open_signed_config(docs[unit], key=KEY.public_key(), unit=unit)
    assert docs[unit]["version"] == 2
    assert body.blacklist is not None
    assert body.catalog.artifact is not None  # the rest of the body is the unit's own
    with Session(engine) as s:
        assert delivery_state(s).pending_changes == 0
        assert delivery_state(s).last_rollout == rollout_id
        (entry,) = audit.recent(s, action="blacklist.rollout")
    assert entry.detail["changes"] == 2
    assert _deliver(engine, after_s=60) is None  # nothing changed since


def test_the_bodies_keep_everything_but_the_blacklist(engine):
    unit = QINGSHUI[0]
    first: dict = _configure(engine, units=[unit])[unit]["body"]
    _list(engine, A)
    assert _deliver(engine, after_s=31) is not None
    second = drive(engine)[unit]["body"]
    assert first["blacklist"]["sha256"] != second["blacklist"]["sha256"]
    assert {k: v for k, v in first.items() if k != "blacklist"} == {
        k: v for k, v in second.items() if k != "blacklist"
    }


def test_delivery_waits_while_another_rollout_is_active(engine):
    _configure(engine)
    busy = create(engine)  # a second rollout, running
    _list(engine, A)
    assert _deliver(engine, after_s=31) is None
    with Session(engine) as s:
        assert delivery_state(s).waiting_for_rollout == busy.id
    with engine.begin() as conn:
        conn.execute(update(ROLLOUTS).where(ROLLOUTS.c.id == busy.id).values(state="completed"))
    assert _deliver(engine, after_s=31) is not None


def test_units_never_configured_and_units_already_carrying_the_list_are_left_out(engine):
    _configure(engine, units=QINGSHUI[:2])
    _list(engine, A)
    rollout_id = _deliver(engine, after_s=31)
    assert status(engine, rollout_id).units == 2
    docs = drive(engine)
    apply_all(engine, docs)
    drive(engine)
    # a full rollout after the change already carries it: the next delivery finds nothing to do
    _list(engine, B, remove=[A])
    r = create(engine, target={"units": QINGSHUI[:2]})
    while docs := drive(engine):
        apply_all(engine, docs)
    drive(engine)
    assert status(engine, r.id).state == "completed"
    assert _deliver(engine, after_s=31) is None
    with Session(engine) as s:
        assert delivery_state(s).pending_changes == 0
