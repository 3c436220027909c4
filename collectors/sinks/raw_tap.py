"""What the writers hand the raw archive: messages and log lines as received, turned into
spool records (``collectors.sinks.spool``)."""

from __future__ import annotations

import threading

from collectors.sinks.spool import Spool, record
from core.clock import Clock, to_ms
from core.config import Settings
from core.pipeline.batch import RawMessage
from core.pipeline.log_writer import RawLine

SPOOL_DIR = "archive-spool"


def open_spool(settings: Settings, clock: Clock) -> Spool:
    return Spool(
        settings.data_dir / SPOOL_DIR,
        gateway=settings.gateway_name,
        max_bytes=settings.archive_spool_max_bytes,
        seal_s=settings.archive_seal_s,
        seal_bytes=settings.archive_seal_bytes,
        now_ms=lambda: to_ms(clock.now()),
    )


class RawTap:
    """The ``archive`` callables of the ingest and log writers and of HTTP ingest."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self._stop = threading.Event()

    def messages(self, raws: list[RawMessage]) -> None:
        self.spool.append(
            [
                record(received_ms=r.received_ms, src=r.source, payload=r.payload, topic=r.topic)
                for r in raws
                if not r.retained  # a retained message is a copy of one archived before
            ]
        )

    def lines(self, raws: list[RawLine]) -> None:
        self.spool.append(
            [
                record(
                    received_ms=r.received_ms,
                    src="syslog-" + r.source if r.source in ("udp", "tcp") else r.source + "-log",
                    payload=r.data,
                    ip=r.source_ip,
                )
                for r in raws
            ]
        )

    def start_sealer(self, every_s: float = 1.0) -> None:
        """For a process without the uploader (``warden web`` beside ``warden agent``): seal
        its own open segment on time; the agent's uploader sends it."""

        def run() -> None:
            while not self._stop.wait(every_s):
                self.spool.seal_due()

        threading.Thread(target=run, name="archive-sealer", daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self.spool.close()
