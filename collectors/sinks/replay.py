"""Replaying archived raw messages through the same pipeline as live traffic.

MQTT messages go through the ingest writer (judge, sequence numbers, dead letters, commit),
HTTP bodies through HTTP ingest, log lines through the log writer. Telemetry is idempotent:
a v2 message already stored is a duplicate by its sequence number, and a reading already
stored (same series and time) is not stored again. Log lines have no identity of their own,
so replaying a window whose lines are still in the database stores them a second time:
replay logs into a fresh database (``--into``) or a window the database no longer holds.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collectors.sinks.spool import payload_of
from core.pipeline.batch import RawMessage
from core.pipeline.http_ingest import HttpIngest
from core.pipeline.log_writer import LogWriter, RawLine
from core.pipeline.writer import IngestWriter
from core.protocol import ProtocolError
from core.runtime import Core

log = logging.getLogger(__name__)


@dataclass
class ReplayResult:
    replayed: Counter[str] = field(default_factory=Counter)
    """Messages handed to the pipeline, by source."""
    refused: int = 0
    """HTTP bodies the pipeline refused again (kept as dead letters, as the first time)."""
    stored_messages: int = 0
    duplicates: int = 0


def replay(core: Core, records: Iterable[dict[str, Any]]) -> ReplayResult:
    settings = core.settings
    result = ReplayResult()
    writer = IngestWriter(
        core.db,
        prefix=settings.mqtt_prefix,
        max_payload_bytes=settings.max_payload_bytes,
        flat_topics=settings.flat_topics,
        clock=core.clock,
    )
    before = writer.counters
    log_writer = LogWriter(core.db)
    http = HttpIngest(
        core.db,
        core.clock,
        prefix=settings.mqtt_prefix,
        max_payload_bytes=settings.max_payload_bytes,
    )
    writer.start()
    log_writer.start()
    try:
        for rec in records:
            src = rec.get("src", "")
            payload = payload_of(rec)
            if src == "mqtt":
                writer.submit(RawMessage(rec["topic"], payload, rec["t"], source="mqtt"))
            elif src == "http":
                device_id = rec["topic"].split("/")[-2]
                try:
                    http.telemetry(device_id, payload)
                except ProtocolError:
                    result.refused += 1
            elif src.startswith("syslog-") or src.endswith("-log"):
                source = src.removeprefix("syslog-").removesuffix("-log")
                log_writer.submit(RawLine(payload, rec["t"], source, rec.get("ip")))
            else:
                log.warning("replay: unknown source %r, skipped", src)
                continue
            result.replayed[src] += 1
    finally:
        writer.stop(timeout=120)
        log_writer.stop(timeout=120)
    result.stored_messages = writer.counters.stored_messages - before.stored_messages
    result.duplicates = writer.counters.duplicates - before.duplicates
    return result
