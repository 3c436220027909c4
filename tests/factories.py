"""Small keyword-only builders for tests. Everything goes through ``core.services``, so a
factory never produces a state the product itself could not reach."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlmodel import Session

from core.models import Actor, DeviceCreate, DevicePublic, Origin, ReadingIn
from core.services import devices

EPOCH_2026 = datetime(2026, 2, 12, 10, 0, tzinfo=UTC)
"""A fixed, ordinary moment tests start from."""


class FakeClock:
    """A ``core.clock.Clock`` that only moves when a test says so."""

    def __init__(self, start: datetime = EPOCH_2026, *, monotonic_start: float = 1000.0) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._monotonic = monotonic_start

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time never goes backwards")
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds


def actor(name: str = "tester", origin: Origin = Origin.CLI) -> Actor:
    return Actor(name=name, origin=origin)


def make_device(
    session: Session,
    *,
    id: str = "meter-1",
    type: str = "power_meter",
    seen_at: datetime | None = None,
    by: Actor | None = None,
    **fields: Any,
) -> DevicePublic:
    """Register a device by hand (``fields`` are other ``DeviceCreate`` fields: name, tags,
    location, ip, ...). With ``seen_at`` it has also spoken, so it is online."""
    device = devices.register_device(
        session=session, create=DeviceCreate(id=id, type=type, **fields), actor=by or actor()
    )
    if seen_at is not None:
        device = devices.record_seen(session=session, device_id=id, seen_at=seen_at)
    return device


def readings(
    metric: str,
    *,
    start_ms: int,
    count: int,
    step_ms: int = 1000,
    value_fn: Callable[[int], float] = float,
    unit: str | None = None,
) -> list[ReadingIn]:
    """``count`` readings of one metric, ``step_ms`` apart from ``start_ms``; the i-th has
    the value ``value_fn(i)``."""
    return [
        ReadingIn(metric=metric, ts=start_ms + i * step_ms, value=value_fn(i), unit=unit)
        for i in range(count)
    ]


class Receiver:
    """An HTTP server on a free loopback port that answers the queued status codes."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.bodies.append(body)
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
