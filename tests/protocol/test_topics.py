"""Topic names: built in one place, parsed back exactly, junk refused."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import topics
from protocol.errors import InvalidTopic
from protocol.topics import Channel

unit_ids = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,63}\Z")


@given(unit=unit_ids, channel=st.sampled_from(list(Channel)))
def test_every_built_topic_parses_back_to_its_unit_and_channel(unit, channel):
    ref = topics.parse(topics.topic(unit, channel))
    assert (ref.unit, ref.channel) == (unit, channel)


@pytest.mark.parametrize(
    "name",
    [
        "bianmin/v1/u/v001",  # no channel
        "bianmin/v1/u/v001/nope",  # unknown channel
        "bianmin/v2/u/v001/tx",  # other version
        "other/v1/u/v001/tx",
        "bianmin/v1/u/V001/tx",  # upper case
        "bianmin/v1/u/+/tx",  # a wildcard is a filter, not a topic
        "bianmin/v1/u//tx",
    ],
)
def test_parse_refuses_topics_outside_the_contract(name):
    with pytest.raises(InvalidTopic):
        topics.parse(name)


@given(st.text(max_size=80))
def test_parse_never_fails_with_anything_but_invalid_topic(name):
    with contextlib.suppress(InvalidTopic):
        topics.parse(name)


@pytest.mark.parametrize("unit", ["", "a/b", "a+b", "#", "-lead", "x" * 65, "村"])
def test_unit_ids_that_would_break_topic_levels_are_refused(unit):
    with pytest.raises(InvalidTopic):
        topics.topic(unit, Channel.TX)


def test_upstream_and_downstream_channels_split_the_table():
    assert set(topics.UP_CHANNELS) == {
        Channel.TX,
        Channel.STATE,
        Channel.HEALTH,
        Channel.CONFIG_REPORTED,
        Channel.CMD_RESULT,
    }
    assert set(topics.DOWN_CHANNELS) == {Channel.ACK, Channel.CONFIG, Channel.CMD}


def test_shared_subscription_wraps_a_filter_for_the_hub_group():
    assert topics.shared(topics.subscription(Channel.TX)) == "$share/hub/bianmin/v1/u/+/tx"


@given(unit=unit_ids)
def test_a_units_client_id_is_derived_from_its_username_alone(unit):
    assert topics.unit_client_id(unit) == topics.unit_client_id(unit) == f"unit-{unit}"


def test_no_client_id_is_made_for_a_name_that_is_not_a_unit():
    with pytest.raises(InvalidTopic):
        topics.unit_client_id(topics.HUB_USER)


def test_every_hub_client_id_is_new_even_for_the_same_process_name():
    ids = {topics.hub_client_id("hub-1", "ingest") for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("hub-1-ingest-") for i in ids)


@given(unit=unit_ids, channel=st.sampled_from(list(Channel)))
def test_no_topic_is_longer_than_the_bound_the_broker_counts_on(unit, channel):
    assert len(topics.topic(unit, channel).encode()) <= topics.MAX_TOPIC_BYTES
    assert len(topics.topic("x" * 64, Channel.CONFIG_REPORTED)) == topics.MAX_TOPIC_BYTES


def test_a_unit_cannot_take_the_hubs_broker_username():
    with pytest.raises(InvalidTopic, match="hub's broker username"):
        topics.topic(topics.HUB_USER, Channel.TX)
