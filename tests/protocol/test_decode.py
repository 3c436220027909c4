"""decode(): the PROTOCOL.md examples field by field, and one concrete bad payload per
dead-letter reason."""

from __future__ import annotations

import json
import pickle

import pytest

from core.errors import WardenError
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
    decode,
)
from tests.protocol import fixture_bytes, ms

DEV = "dc-meter-007"
RECEIVED = ms("2026-02-12T12:00:00Z")


def dec(kind: str, payload: bytes | dict, *, device: str = DEV, **kwargs) -> object:
    if isinstance(payload, dict):
        payload = json.dumps(payload).encode()
    return decode(f"iot/{device}/{kind}", payload, received_ms=RECEIVED, **kwargs)


def telemetry(**changes) -> dict:
    body = json.loads(fixture_bytes("telemetry.json"))
    body.update(changes)
    return body


def rejected(kind: str, payload: bytes | dict, **kwargs) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        dec(kind, payload, **kwargs)
    return caught.value


# ---------------------------------------------------------------- the PROTOCOL.md examples


def test_telemetry_example_decodes_field_by_field():
    message = dec("telemetry", fixture_bytes("telemetry.json"))
    assert type(message) is Telemetry
    assert message.device_id == DEV
    assert message.ts_ms == ms("2026-02-12T10:00:10Z")
    assert message.seq == 142
    assert message.measurements == (
        Measurement("voltage_dc", ms("2026-02-12T10:00:01Z"), 756.3, "V"),
        Measurement("current_dc", ms("2026-02-12T10:00:01Z"), 312.8, "A"),
    )
    assert all(type(m.value) is float for m in message.measurements)


def test_hello_example_decodes_field_by_field():
    message = dec("hello", fixture_bytes("hello.json"))
    assert message == Hello(
        device_id=DEV,
        ts_ms=ms("2026-02-12T10:00:30Z"),
        seq=145,
        fw_version="2.1.0",
        uptime_s=86400,
        broker_connections=2,
        buf_usage_pct=12.0,
        temp_internal=42.3,
    )
    assert type(message.buf_usage_pct) is float


def test_status_example_decodes_without_seq_or_msg_type():
    message = dec("status", fixture_bytes("status.json"))
    assert message == Status(device_id=DEV, ts_ms=ms("2026-02-12T10:00:00Z"), seq=None, online=True)


def test_bare_last_will_decodes_as_offline_at_arrival_time():
    message = dec("status", fixture_bytes("last_will.json"))
    assert message == Status(device_id=DEV, ts_ms=RECEIVED, seq=None, online=False)


def test_command_ack_example_decodes_field_by_field():
    message = dec("command/ack", fixture_bytes("command_ack.json"))
    assert message == CommandAck(
        device_id=DEV,
        ts_ms=ms("2026-02-12T10:05:01Z"),
        seq=150,
        cmd_id="a3f7c2e1-9b4d-4e8a-b6f1-2d3e4f5a6b7c",
        result="accepted",
        detail="Config updated. New send_interval_s=15.",
    )


def test_ota_status_example_decodes_field_by_field():
    message = dec("ota/status", fixture_bytes("ota_status.json"))
    assert message == OtaStatus(
        device_id=DEV,
        ts_ms=ms("2026-02-12T11:00:30Z"),
        seq=200,
        cmd_id="b4e8f1a2-3c5d-6e7f-8a9b-0c1d2e3f4a5b",
        ota_state="downloading",
        progress_pct=50.0,
        fw_version_target="2.2.0",
        detail=None,
    )


def test_flat_example_decodes_field_by_field():
    message = dec("data", fixture_bytes("flat.json"), device="node-1")
    at = 1764900000 * 1000
    assert message == FlatData(
        device_id="node-1",
        ts_ms=at,
        measurements=(
            Measurement("temperature", at, 21.5, None),
            Measurement("humidity", at, 40.1, None),
            Measurement("pressure", at, 1013.2, None),
            Measurement("battery", at, 87.0, None),
        ),
        attributes={"node_id": "node-1"},
    )


# ---------------------------------------------------------------- one payload per reason

BAD = [
    ("too_large", "telemetry", b"{}" + b" " * 100, {"max_bytes": 50}, Reason.TOO_LARGE, "102"),
    ("not_utf8", "telemetry", b'{"v": 2, "x": "\xff\xfe"}', {}, Reason.NOT_UTF8, "UTF-8"),
    ("not_json", "telemetry", b'{"v": 2,', {}, Reason.NOT_JSON, "JSON"),
    ("json_array", "telemetry", b"[1, 2]", {}, Reason.NOT_JSON, "array"),
    ("missing_seq", "telemetry", telemetry(seq=None), {}, Reason.MISSING_FIELD, "seq"),
    ("missing_type", "telemetry", {"x": 1}, {}, Reason.MISSING_FIELD, "v"),
    ("wrong_seq", "telemetry", telemetry(seq="142"), {}, Reason.WRONG_TYPE, "seq"),
    (
        "identity",
        "telemetry",
        telemetry(device_id="dc-meter-008"),
        {},
        Reason.IDENTITY_MISMATCH,
        "dc-meter-008",
    ),
    (
        "bad_id",
        "telemetry",
        fixture_bytes("telemetry.json"),
        {"device": "a b"},
        Reason.BAD_DEVICE_ID,
        "id",
    ),
    (
        "too_many",
        "telemetry",
        telemetry(measurements=[{"type": "t", "val": 1.0}] * 201),
        {},
        Reason.TOO_MANY_MEASUREMENTS,
        "201",
    ),
    ("nan", "telemetry", b'{"v": 2, "val": NaN}', {}, Reason.NON_FINITE, "NaN"),
    (
        "huge",
        "telemetry",
        telemetry(measurements=[{"type": "t", "val": 10**400}]),
        {},
        Reason.NON_FINITE,
        "measurements[0].val",
    ),
    ("unknown_topic", "temperature", b"{}", {}, Reason.UNKNOWN_TOPIC, "topic"),
    ("bad_version", "telemetry", telemetry(v=1), {}, Reason.BAD_VERSION, "v=1"),
]


@pytest.mark.parametrize(
    ("kind", "payload", "kwargs", "reason", "named"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_each_reason_comes_from_a_concrete_bad_payload(kind, payload, kwargs, reason, named):
    error = rejected(kind, payload, **kwargs)
    assert error.reason is reason
    assert named in error.detail
    assert str(error) == error.detail


def test_every_reason_is_covered_above():
    # seq_suspect is judged from the sequence state, not decoded: tests/protocol/test_seq.py
    # and tests/collectors/test_seq_suspect.py cover it.
    assert {case[4] for case in BAD} == set(Reason) - {Reason.SEQ_SUSPECT}


def test_infinity_literals_and_overflowing_floats_are_non_finite():
    for text in (b"Infinity", b"-Infinity", b"1e999", b"-1e999"):
        body = b'{"v":2,"device_id":"d","ts":"2026-02-12T10:00:10Z","seq":1,"msg_type":"telemetry",'
        body += b'"measurements":[{"type":"t","val":' + text + b"}]}"
        assert rejected("telemetry", body, device="d").reason is Reason.NON_FINITE


def test_size_limit_is_inclusive():
    body = fixture_bytes("telemetry.json")
    assert dec("telemetry", body, max_bytes=len(body)).seq == 142
    assert rejected("telemetry", body, max_bytes=len(body) - 1).reason is Reason.TOO_LARGE


def test_size_is_checked_before_the_topic():
    error = rejected("nonsense", b"x" * 10, max_bytes=5)
    assert error.reason is Reason.TOO_LARGE


# ---------------------------------------------------------------- types and envelope rules


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"v": True}, "v"),
        ({"v": 2.0}, "v"),
        ({"seq": True}, "seq"),
        ({"seq": 1.0}, "seq"),
        ({"seq": -1}, "seq"),
        ({"seq": 2**32}, "seq"),
        ({"ts": 1770890410}, "ts"),
        ({"ts": "yesterday"}, "ts"),
        ({"device_id": 7}, "device_id"),
        ({"msg_type": "hello"}, "msg_type"),
        ({"measurements": {"type": "t"}}, "measurements"),
        ({"measurements": ["t"]}, "measurements[0]"),
        ({"measurements": [{"type": "t", "val": True}]}, "measurements[0].val"),
        ({"measurements": [{"type": "t", "val": "1.5"}]}, "measurements[0].val"),
        ({"measurements": [{"type": 3, "val": 1.5}]}, "measurements[0].type"),
        ({"measurements": [{"type": "", "val": 1.5}]}, "measurements[0].type"),
        ({"measurements": [{"type": "x" * 129, "val": 1.5}]}, "measurements[0].type"),
        ({"measurements": [{"type": "t", "val": 1.5, "unit": 1}]}, "measurements[0].unit"),
        (
            {"measurements": [{"type": "t", "val": 1.5}, {"type": "t", "val": 1.5, "ts": 5}]},
            "measurements[1].ts",
        ),
    ],
)
def test_wrong_types_are_rejected_naming_the_field(changes, field):
    error = rejected("telemetry", telemetry(**changes))
    assert error.reason is Reason.WRONG_TYPE
    assert error.detail.startswith(field) or f" {field} " in error.detail


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("v", "v"),
        ("device_id", "device_id"),
        ("ts", "ts"),
        ("seq", "seq"),
        ("msg_type", "msg_type"),
    ],
)
def test_missing_envelope_fields_are_named(field, name):
    body = telemetry()
    del body[field]
    error = rejected("telemetry", body)
    assert error.reason is Reason.MISSING_FIELD
    assert name in error.detail


def test_missing_measurement_fields_are_named_with_their_index():
    body = telemetry(measurements=[{"type": "a", "val": 1.0}, {"type": "b"}])
    error = rejected("telemetry", body)
    assert (error.reason, error.detail) == (
        Reason.MISSING_FIELD,
        "required field measurements[1].val is missing",
    )


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("hello", "fw_version"),
        ("hello", "uptime_s"),
        ("hello", "broker_connections"),
        ("hello", "buf_usage_pct"),
        ("command/ack", "cmd_id"),
        ("command/ack", "result"),
        ("ota/status", "cmd_id"),
        ("ota/status", "ota_state"),
    ],
)
def test_required_fields_of_each_type_are_named(kind, field):
    name = {"hello": "hello", "command/ack": "command_ack", "ota/status": "ota_status"}[kind]
    body = json.loads(fixture_bytes(f"{name}.json"))
    del body[field]
    error = rejected(kind, body)
    assert (error.reason, field in error.detail) == (Reason.MISSING_FIELD, True)


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("hello", {"uptime_s": True}),
        ("hello", {"uptime_s": -5}),
        ("hello", {"broker_connections": 1.5}),
        ("hello", {"buf_usage_pct": "12"}),
        ("hello", {"temp_internal": False}),
        ("hello", {"fw_version": 2}),
        ("command/ack", {"result": "ok"}),
        ("command/ack", {"detail": ["x"]}),
        ("ota/status", {"ota_state": "halfway"}),
        ("ota/status", {"progress_pct": "50"}),
        ("status", {"status": "sleeping"}),
        ("status", {"seq": "3"}),
        ("status", {"msg_type": "hello"}),
    ],
)
def test_wrong_types_of_each_message(kind, changes):
    name = {"hello": "hello", "command/ack": "command_ack", "ota/status": "ota_status"}.get(
        kind, kind
    )
    body = json.loads(fixture_bytes(f"{name}.json")) | changes
    error = rejected(kind, body)
    assert error.reason is Reason.WRONG_TYPE
    assert next(iter(changes)) in error.detail


def test_hello_without_temp_internal_and_ota_failed_with_detail():
    hello = json.loads(fixture_bytes("hello.json"))
    del hello["temp_internal"]
    assert dec("hello", hello).temp_internal is None
    ota = json.loads(fixture_bytes("ota_status.json")) | {
        "ota_state": "failed",
        "detail": "bad sha",
    }
    del ota["progress_pct"]
    message = dec("ota/status", ota)
    assert (message.ota_state, message.progress_pct, message.detail) == ("failed", None, "bad sha")


def test_status_checks_its_envelope_when_present():
    status = json.loads(fixture_bytes("status.json"))
    assert rejected("status", status | {"v": 3}).reason is Reason.BAD_VERSION
    error = rejected("status", status | {"device_id": "other"})
    assert error.reason is Reason.IDENTITY_MISMATCH
    assert rejected("status", {"v": 2}).reason is Reason.MISSING_FIELD
    assert dec("status", status | {"v": None, "device_id": None}).online is True
    message = dec("status", status | {"seq": 0, "msg_type": "status", "status": "offline"})
    assert (message.seq, message.online) == (0, False)


def test_measurement_without_ts_takes_the_envelope_ts_and_ints_become_floats():
    body = telemetry(measurements=[{"type": "battery", "val": 87}, {"type": "pf", "val": 0.97}])
    message = dec("telemetry", body)
    assert message.measurements == (
        Measurement("battery", ms("2026-02-12T10:00:10Z"), 87.0, None),
        Measurement("pf", ms("2026-02-12T10:00:10Z"), 0.97, None),
    )
    assert type(message.measurements[0].value) is float


def test_timestamps_keep_milliseconds_and_offsets():
    body = telemetry(
        ts="2026-02-12T10:00:10.250Z",
        measurements=[
            {"type": "a", "val": 1.0, "ts": "2026-02-12T11:00:01.5+01:00"},
            {"type": "b", "val": 2.0, "ts": "2026-02-12T10:00:01"},
        ],
    )
    message = dec("telemetry", body)
    assert message.ts_ms == ms("2026-02-12T10:00:10Z") + 250
    first = ms("2026-02-12T10:00:01Z")
    assert [m.ts_ms for m in message.measurements] == [first + 500, first]


def test_unknown_fields_are_ignored_and_empty_batches_are_allowed():
    message = dec("telemetry", telemetry(measurements=[], fw="9", extra={"a": [1]}))
    assert message.measurements == ()


def test_exactly_200_measurements_are_allowed():
    body = telemetry(measurements=[{"type": f"m{i}", "val": float(i)} for i in range(200)])
    assert len(dec("telemetry", body).measurements) == 200


def test_seq_bounds_are_inclusive():
    assert dec("telemetry", telemetry(seq=0)).seq == 0
    assert dec("telemetry", telemetry(seq=2**32 - 1)).seq == 2**32 - 1


def test_prefix_is_configurable():
    body = fixture_bytes("telemetry.json")
    message = decode(f"site/a/{DEV}/telemetry", body, prefix="site/a", received_ms=0)
    assert message.seq == 142
    with pytest.raises(ProtocolError) as caught:
        decode(f"iot/{DEV}/telemetry", body, prefix="site/a", received_ms=0)
    assert caught.value.reason is Reason.UNKNOWN_TOPIC


def test_the_command_topic_is_not_device_data():
    error = rejected("command", fixture_bytes("command.json"))
    assert error.reason is Reason.UNKNOWN_TOPIC


def test_deep_nesting_and_giant_integers_are_not_json():
    assert rejected("telemetry", b"[" * 100_000).reason is Reason.NOT_JSON
    assert rejected("telemetry", b'{"v": ' + b"9" * 5000 + b"}").reason is Reason.NOT_JSON


def test_byte_order_mark_and_utf16_are_rejected():
    body = fixture_bytes("telemetry.json")
    assert rejected("telemetry", b"\xef\xbb\xbf" + body).reason is Reason.NOT_JSON
    assert rejected("telemetry", body.decode().encode("utf-16")).reason is Reason.NOT_UTF8


def test_protocol_error_is_a_value_error_and_a_warden_error_and_pickles():
    error = rejected("telemetry", b"nope")
    assert isinstance(error, ValueError)
    assert isinstance(error, WardenError)
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert (again.reason, again.detail) == (error.reason, error.detail)


def test_a_hello_may_declare_settings_and_they_survive_a_round_trip():
    from core.protocol import encode
    from core.protocol.settings import DeclaredSetting

    body = json.loads(fixture_bytes("hello.json"))
    body["settings"] = [
        {
            "key": "capture_interval_s",
            "type": "number",
            "unit": "s",
            "min": 1,
            "max": 3600,
            "names": ["Capture  Interval"],
            "verbs": ["capture"],
            "value": 10,
        },
        {"key": "resolution", "type": "enum", "choices": ["640x480"], "words": {"VGA": "640x480"}},
    ]
    message = dec("hello", json.dumps(body).encode())
    assert isinstance(message, Hello) and message.settings is not None
    first, second = message.settings
    assert first == DeclaredSetting(
        key="capture_interval_s",
        type="number",
        unit="s",
        min=1,
        max=3600,
        names=("capture interval",),
        verbs=("capture",),
        value=10,
    )
    assert second.words == {"vga": "640x480"} and second.takes() == "640x480 (also vga)"
    assert dec("hello", encode(message)) == message
    assert dec("hello", fixture_bytes("hello.json")).settings is None


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ("capture", "settings"),
        (["capture"], "settings[0]"),
        ([{"key": "Capture!", "type": "number"}], "settings[0].key"),
        ([{"key": "gain", "type": "decibel"}], "settings[0].type"),
        ([{"key": f"k{i}", "type": "number"} for i in range(33)], "settings"),
    ],
)
def test_a_bad_settings_declaration_is_refused_naming_it(settings, named):
    body = json.loads(fixture_bytes("hello.json"))
    body["settings"] = settings
    error = rejected("hello", json.dumps(body).encode())
    assert named in error.detail
