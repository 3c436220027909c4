"""The InfluxDB mirror: every stored reading, written to InfluxDB 2.x in batches.

One thread follows the outbox (``core.services.mirror``): it takes the oldest waiting batches,
writes their readings as line protocol (gzip, ``influxdb-client``'s synchronous write API,
retries off: the outbox is the retry) and only then forgets them. While the server is down
or refuses, the batches wait in the database and the thread backs off (1 s doubling to 30 s);
ingest never waits for it. After an outage the backlog is sent at full speed, a
``WARDEN_INFLUX_BATCH_POINTS`` request after another. Every attempt is published as the
sink's state (``sink.influx``): waiting batches, lag, last success, errors by kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from collectors.sinks.line_protocol import escape_key, to_lines
from collectors.sinks.worker import SinkWorker
from core.clock import Clock, to_ms
from core.config import Settings
from core.db import Database
from core.services import mirror

log = logging.getLogger(__name__)

NAME = "influx"
PUBLISH_EVERY_S = 5.0


def error_kind(exc: BaseException) -> str:
    """What kind of failure: the sink's error counters and the log say it this way."""
    if isinstance(exc, ApiException):
        if exc.status in (401, 403):
            return "unauthorized"
        if exc.status == 404:
            return "not_found"
        if exc.status in (400, 413, 422):
            return "rejected"
        return "server_error" if (exc.status or 0) >= 500 else "other"
    if isinstance(exc, OSError) or type(exc).__module__.startswith("urllib3"):
        return "unreachable"
    return "other"


def describe(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        return f"HTTP {exc.status} {exc.reason or ''}".strip()
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _client(settings: Settings) -> InfluxDBClient:
    token = settings.influx_token.get_secret_value() if settings.influx_token else None
    return InfluxDBClient(
        url=str(settings.influx_url),
        token=token,
        org=settings.influx_org,
        enable_gzip=True,
        timeout=10_000,
        retries=False,
    )


def probe(settings: Settings, *, now_ms: int) -> tuple[bool, str]:
    """Write one ``warden_probe`` point (tagged with the gateway's name) the way the mirror
    writes: whether the server answers, the token is accepted and the bucket exists."""
    client = _client(settings)
    try:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket=settings.influx_bucket,
            org=settings.influx_org,
            record=f"warden_probe,gateway={escape_key(settings.gateway_name)} ok=1i {now_ms}",
            write_precision=WritePrecision.MS,
        )
    except Exception as exc:  # every failure is said, by kind
        kind = error_kind(exc)
        hint = {
            "unreachable": "is the server up and WARDEN_INFLUX_URL right?",
            "unauthorized": "check WARDEN_INFLUX_TOKEN (it needs write access to the bucket)",
            "not_found": f"does bucket {settings.influx_bucket!r} exist in org "
            f"{settings.influx_org!r}?",
        }.get(kind, "")
        return False, f"{settings.influx_url}: {kind}: {describe(exc)}" + (
            f"; {hint}" if hint else ""
        )
    finally:
        client.close()
    return True, f"{settings.influx_url} bucket {settings.influx_bucket!r} accepts writes"


def _requests(body: str, lines_per_request: int) -> list[str]:
    """The body cut into requests of at most ``lines_per_request`` lines (a line holds a
    device's metrics at one time: about four on average)."""
    if not body:
        return []
    lines = body.split("\n")
    step = max(1, lines_per_request)
    return ["\n".join(lines[i : i + step]) for i in range(0, len(lines), step)]


class InfluxMirror(SinkWorker):
    """The mirror of one process (the agent's)."""

    thread_name = "influx-mirror"
    title = "InfluxDB mirror"

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        assert settings.influx_url is not None
        super().__init__(NAME, clock)
        self._db = db
        self._bucket = settings.influx_bucket
        self._org = settings.influx_org
        self._max_points = settings.influx_batch_points
        self._client = _client(settings)
        self._write = self._client.write_api(write_options=SYNCHRONOUS)
        self._published_at = float("-inf")

    # -- one attempt ------------------------------------------------------------------

    def attempt(self) -> bool:
        """Send the oldest waiting batches; True when there may be more to send now.

        On PostgreSQL several agents' mirrors drain one outbox: the batches are claimed
        (``FOR UPDATE SKIP LOCKED``) in a transaction that lasts until they are written and
        deleted, one pass of at most ``WARDEN_INFLUX_BATCH_POINTS`` readings, so the other
        mirrors take other batches meanwhile. SQLite has one agent: the batches are read,
        written, then deleted in a short write of their own (the write lock is never held
        over an HTTP call)."""
        if self._db.is_sqlite:
            with self._db.reader() as session:
                work = mirror.pending(session=session, max_points=self._max_points)
            return self._send(work, self._forget)
        with self._db.writer() as session:
            work = mirror.pending(session=session, max_points=self._max_points)
            return self._send(work, lambda ids: mirror.delivered(session=session, batch_ids=ids))

    def _send(self, work: mirror.MirrorWork, forget: Callable[[list[int]], None]) -> bool:
        if not work.batch_ids:
            self._publish(pending=0, oldest_ms=None)
            return False
        body = to_lines(work.rows)
        points = work.points
        try:
            for request in _requests(body, self._max_points // 4):
                self._write.write(
                    bucket=self._bucket,
                    org=self._org,
                    record=request,
                    write_precision=WritePrecision.MS,
                )
        except Exception as exc:  # every failure is counted and retried
            kind = error_kind(exc)
            if kind == "rejected":
                # The server refused these lines for good: resending cannot help, and would
                # stall everything behind them. Counted, logged, and let go.
                log.error(
                    "InfluxDB refused %d reading(s) for good (%s); they stay in the database",
                    points,
                    describe(exc),
                )
                self._failed(kind, exc, keep_failing=False)
                forget(work.batch_ids)
                return True
            self._failed(kind, exc)
            return False
        forget(work.batch_ids)
        self._succeeded(points)
        return True

    def _forget(self, batch_ids: list[int]) -> None:
        with self._db.writer() as session:
            mirror.delivered(session=session, batch_ids=batch_ids)

    def _succeeded(self, points: int) -> None:
        self.record_success(points)
        self._publish(force=False)

    def _failed(self, kind: str, exc: BaseException, *, keep_failing: bool = True) -> None:
        self.record_failure(kind, describe(exc), keeps_failing=keep_failing)
        self._publish(force=True)

    def _publish(
        self, *, pending: int | None = None, oldest_ms: int | None = None, force: bool = False
    ) -> None:
        now = self._clock.now()
        monotonic = self._clock.monotonic()
        if not force and monotonic - self._published_at < PUBLISH_EVERY_S:
            return
        self._published_at = monotonic
        with self._db.writer() as session:
            if pending is None:
                pending, oldest_ms = mirror.backlog(session=session)
            self.state.pending = pending
            self.state.lag_s = 0.0 if oldest_ms is None else max(0, to_ms(now) - oldest_ms) / 1000
            self.state.at_ms = to_ms(now)
            mirror.publish_state(session=session, state=self.state, now=now)

    def close(self) -> None:
        self._client.close()

    def stats(self) -> dict[str, Any]:
        return self.state.model_dump()
