"""Topics: parse_topic, subscription_topics, topic_for."""

from __future__ import annotations

import pytest

from core.protocol import (
    ProtocolError,
    Reason,
    TopicKind,
    parse_topic,
    subscription_topics,
    topic_for,
)


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("iot/dc-meter-007/telemetry", ("dc-meter-007", TopicKind.TELEMETRY)),
        ("iot/dc-meter-007/hello", ("dc-meter-007", TopicKind.HELLO)),
        ("iot/dc-meter-007/status", ("dc-meter-007", TopicKind.STATUS)),
        ("iot/dc-meter-007/command/ack", ("dc-meter-007", TopicKind.COMMAND_ACK)),
        ("iot/dc-meter-007/ota/status", ("dc-meter-007", TopicKind.OTA_STATUS)),
        ("iot/dc-meter-007/command", ("dc-meter-007", TopicKind.COMMAND)),
        ("iot/node_1.a:b/data", ("node_1.a:b", TopicKind.DATA)),
        ("iot/" + "x" * 64 + "/data", ("x" * 64, TopicKind.DATA)),
    ],
)
def test_parse_topic(topic, expected):
    assert parse_topic(topic) == expected


@pytest.mark.parametrize(
    "topic",
    [
        "iot/a b/telemetry",
        "iot//telemetry",
        "iot/" + "x" * 65 + "/data",
        "iot/é/hello",
        "iot/+/data",
    ],
)
def test_bad_device_ids(topic):
    with pytest.raises(ProtocolError) as caught:
        parse_topic(topic)
    assert caught.value.reason is Reason.BAD_DEVICE_ID


@pytest.mark.parametrize(
    "topic",
    [
        "iot/d/telemetry/extra",
        "iot/d",
        "iot/d/",
        "iot/d/ota",
        "other/d/telemetry",
        "iotx/d/telemetry",
        "d/telemetry",
        "",
        "iot/d/Telemetry",
    ],
)
def test_other_shapes_are_unknown_topics(topic):
    with pytest.raises(ProtocolError) as caught:
        parse_topic(topic)
    assert caught.value.reason is Reason.UNKNOWN_TOPIC


def test_subscription_topics_cover_every_device_to_warden_topic():
    assert subscription_topics() == [
        "iot/+/telemetry",
        "iot/+/hello",
        "iot/+/status",
        "iot/+/command/ack",
        "iot/+/ota/status",
        "iot/+/data",
    ]
    assert subscription_topics("site/3")[0] == "site/3/+/telemetry"


def test_topic_for_round_trips_through_parse_topic():
    for kind in TopicKind:
        topic = topic_for("dc-meter-007", kind, prefix="p")
        assert parse_topic(topic, "p") == ("dc-meter-007", kind)
    assert topic_for("d1", TopicKind.COMMAND) == "iot/d1/command"
    with pytest.raises(ProtocolError):
        topic_for("+", TopicKind.COMMAND)
