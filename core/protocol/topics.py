"""MQTT topics of the device protocol: ``{prefix}/{id}/{kind}``."""

from __future__ import annotations

import re
from enum import StrEnum

from core.protocol.errors import ProtocolError, Reason, show

DEVICE_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
"""PROTOCOL.md ``{id}`` (kept here too: ``core.protocol`` imports no models)."""


class TopicKind(StrEnum):
    TELEMETRY = "telemetry"
    HELLO = "hello"
    STATUS = "status"
    COMMAND_ACK = "command/ack"
    OTA_STATUS = "ota/status"
    COMMAND = "command"
    DATA = "data"


_KINDS = {kind.value: kind for kind in TopicKind}
_SUBSCRIBED = (
    TopicKind.TELEMETRY,
    TopicKind.HELLO,
    TopicKind.STATUS,
    TopicKind.COMMAND_ACK,
    TopicKind.OTA_STATUS,
    TopicKind.DATA,
)


def parse_topic(topic: str, prefix: str = "iot") -> tuple[str, TopicKind]:
    """``"iot/dc-meter-007/command/ack"`` → ``("dc-meter-007", TopicKind.COMMAND_ACK)``.

    Raises ``ProtocolError``: ``UNKNOWN_TOPIC`` for any other shape, ``BAD_DEVICE_ID`` when
    the shape is right but the id is not ``[A-Za-z0-9_.:-]{1,64}``.
    """
    head = prefix + "/"
    if not topic.startswith(head):
        raise ProtocolError(Reason.UNKNOWN_TOPIC, f"topic {show(topic)} is not under {head!r}")
    device_id, _, rest = topic[len(head) :].partition("/")
    kind = _KINDS.get(rest)
    if kind is None:
        raise ProtocolError(
            Reason.UNKNOWN_TOPIC, f"topic {show(topic)} is not a device protocol topic"
        )
    if DEVICE_ID_RE.fullmatch(device_id) is None:
        raise ProtocolError(
            Reason.BAD_DEVICE_ID,
            f"device id {show(device_id)} in the topic is not 1-64 of A-Z a-z 0-9 _ . : -",
        )
    return device_id, kind


def subscription_topics(prefix: str = "iot") -> list[str]:
    """What Warden subscribes to: every device → Warden topic, ``+`` for the id."""
    return [f"{prefix}/+/{kind.value}" for kind in _SUBSCRIBED]


def topic_for(device_id: str, kind: TopicKind, prefix: str = "iot") -> str:
    """The topic of ``kind`` for one device, e.g. where to publish its commands."""
    if DEVICE_ID_RE.fullmatch(device_id) is None:
        raise ProtocolError(
            Reason.BAD_DEVICE_ID, f"device id {show(device_id)} is not 1-64 of A-Z a-z 0-9 _ . : -"
        )
    return f"{prefix}/{device_id}/{TopicKind(kind).value}"


class FlatTopic:
    """An extra topic filter configured as flat JSON, e.g. ``sensors/+/state``: the level
    matched by its first ``+`` is the device id; ``#`` may end it."""

    def __init__(self, pattern: str) -> None:
        levels = pattern.split("/")
        if "+" not in levels:
            raise ValueError(f"flat topic {pattern!r} needs a + where the device id stands")
        if any(("+" in lv or "#" in lv) and lv not in ("+", "#") for lv in levels) or (
            "#" in levels[:-1]
        ):
            raise ValueError(f"flat topic {pattern!r} is not a valid MQTT topic filter")
        self.pattern = pattern
        self._levels = levels
        self._id_level = levels.index("+")

    def device_id(self, topic: str) -> str | None:
        """The device id when ``topic`` matches this filter, else None."""
        parts = topic.split("/")
        levels = self._levels
        if levels[-1] == "#":
            if len(parts) < len(levels) - 1:
                return None
        elif len(parts) != len(levels):
            return None
        for level, part in zip(levels, parts, strict=False):
            if level == "#":
                break
            if level != "+" and level != part:
                return None
        return parts[self._id_level]
