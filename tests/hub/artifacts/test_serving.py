"""Serving artifacts to units: HTTP Range over an artifact held in memory."""

from hub.artifacts.serving import ranged


def test_the_hub_answers_ranges_with_206_and_a_range_past_the_end_with_416():
    data = b"0123456789"
    part = ranged(data, "bytes=4-", '"x"')
    assert (part.status_code, part.body, part.headers["content-range"]) == (
        206,
        b"456789",
        "bytes 4-9/10",
    )
    assert ranged(data, "bytes=2-3", '"x"').body == b"23"
    assert ranged(data, "bytes=10-", '"x"').status_code == 416
    assert ranged(data, "bytes=0-1,4-5", '"x"').status_code == 200  # several ranges: all of it
    assert ranged(data, None, '"x"').headers["accept-ranges"] == "bytes"
