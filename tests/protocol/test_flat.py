"""Flat JSON from legacy sensors on iot/{id}/data (PROTOCOL.md "Flat JSON")."""

from __future__ import annotations

import json

import pytest

from core.protocol import FlatData, Measurement, ProtocolError, Reason, decode, decode_flat
from tests.protocol import fixture_bytes, ms

RECEIVED = ms("2026-02-12T12:00:00Z")


def flat(body: dict | bytes, device: str = "sensor-1") -> FlatData:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    message = decode(f"iot/{device}/data", body, received_ms=RECEIVED)
    assert type(message) is FlatData
    return message


def values(message: FlatData) -> dict[str, float]:
    return {m.metric: m.value for m in message.measurements}


def test_numbers_are_measurements_named_by_key_strings_are_attributes():
    message = flat({"temperature": 21.5, "count": 3, "node_id": "node-1", "site": "lab"})
    assert values(message) == {"temperature": 21.5, "count": 3.0}
    assert message.attributes == {"node_id": "node-1", "site": "lab"}
    assert all(m.unit is None and m.ts_ms == RECEIVED for m in message.measurements)


def test_booleans_are_one_and_zero():
    assert values(flat({"door_open": True, "locked": False})) == {"door_open": 1.0, "locked": 0.0}


def test_without_a_timestamp_the_arrival_time_is_used():
    assert flat({"t": 1.0}).ts_ms == RECEIVED


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ({"timestamp": 1764900000}, 1764900000_000),
        ({"timestamp": 1764900000.25}, 1764900000_250),
        ({"ts": 1764900000123}, 1764900000123),
        ({"time": "1764900000"}, 1764900000_000),
        ({"time": "1764900000123"}, 1764900000123),
        ({"ts": "2026-02-12T10:00:00Z"}, ms("2026-02-12T10:00:00Z")),
        ({"timestamp": "2026-02-12T10:00:00.5Z"}, ms("2026-02-12T10:00:00Z") + 500),
    ],
)
def test_timestamps_in_iso_epoch_seconds_or_milliseconds(stamp, expected):
    message = flat({"temperature": 20.0} | stamp)
    assert message.ts_ms == expected
    assert message.measurements == (Measurement("temperature", expected, 20.0, None),)
    assert message.attributes == {}


def test_ts_wins_over_timestamp_over_time():
    message = flat({"time": 1_000_000_000, "timestamp": 1_500_000_000, "ts": 1_700_000_000})
    assert message.ts_ms == 1_700_000_000_000
    assert message.measurements == ()


def test_nested_objects_are_flattened_with_dots():
    message = flat({"env": {"temp": 21.5, "air": {"co2": 410}}, "meta": {"fw": "1.2"}})
    assert values(message) == {"env.temp": 21.5, "env.air.co2": 410.0}
    assert message.attributes == {"meta.fw": "1.2"}


@pytest.mark.parametrize("name", ["measurements", "data", "values"])
def test_objects_named_measurements_data_values_use_their_keys_directly(name):
    message = flat({name: {"temperature": 21.5, "ok": True}, "node": "n1"})
    assert values(message) == {"temperature": 21.5, "ok": 1.0}
    assert message.attributes == {"node": "n1"}


def test_the_http_shape_with_data_metadata_and_timestamp():
    message = flat(fixture_bytes("flat_http.json"))
    at = ms("2026-02-12T10:00:00Z")
    assert message.measurements == (
        Measurement("temperature", at, 21.5, None),
        Measurement("door_open", at, 1.0, None),
    )
    assert message.attributes == {"metadata.fw": "1.0.3"}


def test_a_timestamp_inside_data_counts():
    assert flat({"data": {"ts": 1764900000, "t": 1.0}}).ts_ms == 1764900000_000


def test_nulls_and_lists_are_ignored_and_the_last_of_two_equal_names_wins():
    message = flat({"a": None, "b": [1, 2], "t": 1.0, "data": {"t": 2.0}})
    assert values(message) == {"t": 2.0}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"t": NaN}', Reason.NON_FINITE),
        (b'{"t": 1e999}', Reason.NON_FINITE),
        (b'{"t": 1, "timestamp": 1e999}', Reason.NON_FINITE),
        ({"t": 10**400}, Reason.NON_FINITE),
        ({"t": 1, "ts": "noon"}, Reason.WRONG_TYPE),
        ({"t": 1, "ts": True}, Reason.WRONG_TYPE),
        ({"t": 1, "ts": -5}, Reason.WRONG_TYPE),
        ({f"m{i}": i for i in range(201)}, Reason.TOO_MANY_MEASUREMENTS),
        ({"x" * 129: 1}, Reason.WRONG_TYPE),
        (b"[21.5]", Reason.NOT_JSON),
        (b"21.5", Reason.NOT_JSON),
    ],
)
def test_bad_flat_payloads(body, reason):
    with pytest.raises(ProtocolError) as caught:
        flat(body)
    assert caught.value.reason is reason


def test_deep_nesting_is_rejected():
    body: dict = {"t": 1.0}
    for _ in range(20):
        body = {"n": body}
    with pytest.raises(ProtocolError) as caught:
        flat(body)
    assert caught.value.reason is Reason.WRONG_TYPE


def test_decode_flat_for_other_topics_checks_the_device_id():
    message = decode_flat("cam-1", b'{"fps": 25}', received_ms=RECEIVED)
    assert message == FlatData("cam-1", RECEIVED, (Measurement("fps", RECEIVED, 25.0, None),), {})
    with pytest.raises(ProtocolError) as caught:
        decode_flat("cam 1", b'{"fps": 25}', received_ms=RECEIVED)
    assert caught.value.reason is Reason.BAD_DEVICE_ID
