"""MQTT-level test doubles: a writer that records what the collector hands over, and (run as
``python -m tests.collectors.mqtt_member URL CLIENT_ID [GROUP]``) a collector process whose
writer never commits, to be killed with messages unacknowledged."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

from core.config import Settings, load_settings
from core.pipeline.batch import Acknowledger, RawMessage


class RecordingWriter:
    """Stands in for ``IngestWriter`` at the MQTT level: records each hand-off and, when
    ``commit`` is true, acknowledges it at once as a committed batch would be."""

    def __init__(self, *, commit: bool = True, gate: threading.Event | None = None) -> None:
        self.commit = commit
        self.gate = gate
        """When given, every hand-off waits until it is set (a writer that is behind)."""
        self.payloads: list[bytes] = []
        self.retained: list[bytes] = []
        self.handoffs = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def submit_many(self, items: Sequence[RawMessage]) -> None:
        if self.gate is not None:
            self.gate.wait()
        with self._changed:
            self.handoffs += 1
            for raw in items:
                (self.retained if raw.retained else self.payloads).append(raw.payload)
            self._changed.notify_all()
        if self.commit:
            by_acknowledger: dict[int, tuple[Acknowledger, list[object]]] = {}
            for raw in items:
                if raw.acknowledger is not None:
                    entry = by_acknowledger.setdefault(id(raw.acknowledger), (raw.acknowledger, []))
                    entry[1].append(raw.receipt)
            for acknowledger, receipts in by_acknowledger.values():
                acknowledger.acknowledge(receipts)

    def wait_for_more(self, seen: int) -> int:
        """Wait until more than ``seen`` live messages arrived; how many there are now."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.payloads) > seen)
            return len(self.payloads)

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        """True once ``count`` live messages arrived (waits on the hand-offs, not on time)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.payloads) >= count, timeout)


def member_settings(
    data_dir: Path, url: str, client_id: str, group: str | None, **extra
) -> Settings:
    return load_settings(
        data_dir=data_dir,
        mqtt_url=url,
        mqtt_client_id=client_id,
        mqtt_prefix="iot",
        mqtt_share_group=group,
        mqtt_flat_topics="",
        **extra,
    )


def _hold_until_killed(url: str, client_id: str, group: str | None) -> None:
    from collectors.mqtt import MqttCollector

    writer = RecordingWriter(commit=False)
    with TemporaryDirectory() as data_dir:
        collector = MqttCollector(member_settings(Path(data_dir), url, client_id, group), writer)  # type: ignore[arg-type]
        collector.start()
        if not all(link.subscribed.wait(20) for link in collector.links):
            raise SystemExit("did not subscribe")
        print("subscribed", flush=True)
        seen = 0
        while True:
            seen = writer.wait_for_more(seen)
            print(f"holding {seen}", flush=True)


if __name__ == "__main__":
    _hold_until_killed(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
