"""Why a device message was rejected: one reason per dead-letter counter."""

from __future__ import annotations

from enum import StrEnum

from core.errors import InvalidInput


class Reason(StrEnum):
    """Dead-letter reasons, counted and stored with every rejected message."""

    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    IDENTITY_MISMATCH = "identity_mismatch"
    BAD_DEVICE_ID = "bad_device_id"
    TOO_MANY_MEASUREMENTS = "too_many_measurements"
    NON_FINITE = "non_finite"
    UNKNOWN_TOPIC = "unknown_topic"
    BAD_VERSION = "bad_version"
    SEQ_SUSPECT = "seq_suspect"
    """A sequence number too far ahead to trust, held until later messages corroborate it
    (``core.protocol.seq``)."""


class ProtocolError(InvalidInput, ValueError):
    """A payload, topic or command that breaks PROTOCOL.md.

    ``reason`` is the dead-letter counter; ``detail`` one short sentence naming the field.
    """

    title = "Protocol error"

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[ProtocolError], tuple[Reason, str]]:
        return (type(self), (self.reason, self.detail))

    def __repr__(self) -> str:
        return f"ProtocolError({self.reason.value!r}, {self.detail!r})"


def show(value: object, limit: int = 40) -> str:
    """``repr`` of untrusted input, cut short enough for a one-line detail."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
