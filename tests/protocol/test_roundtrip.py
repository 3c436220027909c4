"""encode -> decode round trips, and decode() on arbitrary input raises nothing but
ProtocolError."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.protocol import (
    CommandAck,
    FlatData,
    Hello,
    Measurement,
    OtaStatus,
    ProtocolError,
    Reason,
    Status,
    Telemetry,
    TopicKind,
    decode,
    decode_command,
    encode,
    encode_flat,
    topic_for,
    validate_command,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

device_ids = st.from_regex(r"[A-Za-z0-9_.:-]{1,64}", fullmatch=True)
times = st.integers(-62_135_596_800_000, 253_402_300_799_999)  # years 1 to 9999
seqs = st.integers(0, 2**32 - 1)
numbers = st.floats(allow_nan=False, allow_infinity=False)
texts = st.text(max_size=40)
names = st.text(min_size=1, max_size=40)
counts = st.integers(0, 2**62)

measurements = st.builds(
    Measurement, names, times, numbers, st.none() | st.text(min_size=0, max_size=32)
)
telemetry = st.builds(
    Telemetry, device_ids, times, seqs, st.lists(measurements, max_size=20).map(tuple)
)
hellos = st.builds(
    Hello, device_ids, times, seqs, names, counts, counts, numbers, st.none() | numbers
)
statuses = st.builds(Status, device_ids, times, st.none() | seqs, st.booleans())
acks = st.builds(
    CommandAck,
    device_ids,
    times,
    seqs,
    names,
    st.sampled_from(["accepted", "rejected", "error", "unsupported"]),
    st.none() | texts,
)
otas = st.builds(
    OtaStatus,
    device_ids,
    times,
    seqs,
    names,
    st.sampled_from(["downloading", "verifying", "applying", "success", "failed"]),
    st.none() | numbers,
    st.none() | texts,
    st.none() | texts,
)
KINDS = {
    Telemetry: TopicKind.TELEMETRY,
    Hello: TopicKind.HELLO,
    Status: TopicKind.STATUS,
    CommandAck: TopicKind.COMMAND_ACK,
    OtaStatus: TopicKind.OTA_STATUS,
}


@FAST
@given(st.one_of(telemetry, hellos, statuses, acks, otas))
def test_encode_then_decode_gives_the_message_back(message):
    topic = topic_for(message.device_id, KINDS[type(message)])
    assert decode(topic, encode(message), received_ms=0) == message


@FAST
@given(
    values=st.dictionaries(
        st.text(min_size=1, max_size=20).filter(lambda k: k not in ("ts", "timestamp", "time")),
        st.one_of(numbers, st.booleans(), st.text(max_size=10)),
        max_size=30,
    ),
    ts_ms=st.integers(0, 253_402_300_799_999),
)
def test_encode_flat_then_decode(values, ts_ms):
    message = decode("iot/s1/data", encode_flat(values, ts_ms=ts_ms), received_ms=0)
    assert isinstance(message, FlatData)
    assert message.ts_ms == ts_ms
    assert {m.metric: m.value for m in message.measurements} == {
        k: float(v) for k, v in values.items() if not isinstance(v, str)
    }
    assert message.attributes == {k: v for k, v in values.items() if isinstance(v, str)}


def test_times_keep_milliseconds_only_when_not_zero():
    body = json.loads(encode(Status("d", 1_770_890_410_000, None, True)))
    assert body["ts"] == "2026-02-12T10:00:10Z"
    body = json.loads(encode(Status("d", 1_770_890_410_007, None, True)))
    assert body["ts"] == "2026-02-12T10:00:10.007Z"


def test_encoders_write_the_protocol_md_key_order():
    hello = Hello("dc-meter-007", 0, 145, "2.1.0", 86400, 2, 12.0, 42.3)
    assert list(json.loads(encode(hello))) == [
        "v",
        "device_id",
        "ts",
        "seq",
        "msg_type",
        "fw_version",
        "uptime_s",
        "broker_connections",
        "buf_usage_pct",
        "temp_internal",
    ]
    will = json.loads(encode(Status("dc-meter-007", 0, None, False)))
    assert will == {
        "v": 2,
        "device_id": "dc-meter-007",
        "ts": "1970-01-01T00:00:00Z",
        "msg_type": "status",
        "status": "offline",
    }


# ---------------------------------------------------------------- fuzz

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["2026-02-12T10:00:10Z", "telemetry", "hello", "online", "offline"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "v", "device_id", "ts", "seq", "msg_type", "measurements", "type", "val", "unit",
        "fw_version", "uptime_s", "broker_connections", "buf_usage_pct", "temp_internal",
        "status", "cmd_id", "result", "detail", "ota_state", "progress_pct", "data", "time",
    ]
)  # fmt: skip
topics = st.sampled_from([k.value for k in TopicKind] + ["x", "command/nack"]).map(
    lambda kind: f"iot/d1/{kind}"
) | st.text(max_size=30)
valid_bodies = st.one_of(telemetry, hellos, statuses, acks, otas).map(
    lambda m: (json.loads(encode(m)) | {"device_id": "d1"}, KINDS[type(m)].value)
)


def decodes_or_rejects(topic: str, payload: bytes) -> None:
    try:
        message = decode(topic, payload, received_ms=5, max_bytes=4096)
    except ProtocolError as error:
        problem = error
    else:
        problem = None
        assert isinstance(message.ts_ms, int)
    if problem is not None:
        assert problem.reason in Reason and problem.detail


@FAST
@given(topic=topics, payload=st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_protocol_error(topic, payload):
    decodes_or_rejects(topic, payload)


@FAST
@given(topic=topics, body=st.dictionaries(field_names, json_values, max_size=8) | json_values)
def test_arbitrary_json_only_ever_raises_protocol_error(topic, body):
    decodes_or_rejects(topic, json.dumps(body).encode())


@settings(max_examples=400, deadline=None)
@given(
    body_kind=valid_bodies,
    field=field_names,
    value=json_values,
    nested=st.booleans(),
)
def test_valid_messages_with_one_field_replaced_only_raise_protocol_error(
    body_kind, field, value, nested
):
    body, kind = body_kind
    items = body.get("measurements")
    if nested and items:
        items[0][field] = value
    else:
        body[field] = value
    decodes_or_rejects(f"iot/d1/{kind}", json.dumps(body).encode())
    decodes_or_rejects("iot/d1/data", json.dumps(body).encode())


@FAST
@given(cmd=st.sampled_from(["update_config", "start_ota", "reboot", "x"]), params=json_values)
def test_commands_on_arbitrary_input_only_raise_protocol_error(cmd, params):
    with contextlib.suppress(ProtocolError):
        validate_command(cmd, params if isinstance(params, dict) else {"brokers": params})
    payload = json.dumps({"v": 2, "cmd_id": "c", "cmd": cmd, "params": params}).encode()
    with contextlib.suppress(ProtocolError):
        decode_command(payload)
