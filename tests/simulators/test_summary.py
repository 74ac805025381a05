"""The delivery verdict: an event still in a unit's outbox is in flight, never lost."""

from simulators.summary import compare

COMMITTED = {"u1": {"a": 1, "b": 2, "c": 3}, "u2": {"d": 1}}


def test_everything_in_the_hub_is_exact():
    rows = [("u1", "a", 1), ("u1", "b", 2), ("u1", "c", 3), ("u2", "d", 1)]
    s = compare(COMMITTED, rows, {"u1": set(), "u2": set()})
    assert (s.in_hub, s.lost, s.in_flight, s.exact) == (4, 0, 0, True)


def test_an_event_still_in_its_outbox_is_in_flight_not_lost():
    rows = [("u1", "a", 1), ("u1", "b", 2), ("u2", "d", 1)]
    s = compare(COMMITTED, rows, {"u1": {"c"}})
    assert (s.in_hub, s.lost, s.in_flight, s.exact) == (3, 0, 1, True)


def test_an_event_the_unit_forgot_and_the_hub_lacks_is_lost():
    rows = [("u1", "a", 1), ("u1", "b", 2), ("u2", "d", 1)]
    s = compare(COMMITTED, rows, {"u1": set()})
    assert (s.lost, s.in_flight, s.exact) == (1, 0, False)


def test_duplicates_and_unexpected_events_are_counted():
    rows = [("u1", "a", 1), ("u1", "a", 1), ("u1", "b", 2), ("u1", "c", 3), ("u1", "x", 9),
            ("u2", "d", 1)]  # fmt: skip
    s = compare(COMMITTED, rows)
    assert (s.duplicates, s.unexpected, s.exact) == (1, 1, False)
