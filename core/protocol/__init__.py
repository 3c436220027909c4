"""The device protocol of PROTOCOL.md: topics, the v2 envelope and its five message types,
flat JSON, commands, sequence-number bookkeeping and derived power.

Pure functions of their inputs, no I/O, and nothing from ``core.db``, ``core.services`` or
``core.models``: the simulator imports this package and nothing else of ``core``.
"""

from core.protocol.checks import MAX_PAYLOAD_BYTES
from core.protocol.commands import COMMANDS, decode_command, encode_command, validate_command
from core.protocol.decode import decode, decode_flat
from core.protocol.encode import encode, encode_flat
from core.protocol.errors import ProtocolError, Reason
from core.protocol.messages import (
    CommandAck,
    FlatData,
    Hello,
    Measurement,
    Message,
    OtaStatus,
    Status,
    Telemetry,
)
from core.protocol.power import derive_power
from core.protocol.seq import SeqState, Verdict, boot_signal, observe
from core.protocol.topics import (
    FlatTopic,
    TopicKind,
    parse_topic,
    subscription_topics,
    topic_for,
)

__all__ = [
    "COMMANDS",
    "MAX_PAYLOAD_BYTES",
    "CommandAck",
    "FlatData",
    "FlatTopic",
    "Hello",
    "Measurement",
    "Message",
    "OtaStatus",
    "ProtocolError",
    "Reason",
    "SeqState",
    "Status",
    "Telemetry",
    "TopicKind",
    "Verdict",
    "boot_signal",
    "decode",
    "decode_command",
    "decode_flat",
    "derive_power",
    "encode",
    "encode_command",
    "encode_flat",
    "observe",
    "parse_topic",
    "subscription_topics",
    "topic_for",
    "validate_command",
]
