"""The S3 raw archive: sealed spool segments uploaded with ``minio``, verified, then deleted.

Each sealed segment (``collectors.sinks.spool``) becomes one object under a date-partitioned
key, ``raw/YYYY/MM/DD/HH/{segment name}`` (the hour of its first message, UTC), with its
sha256 in the object's metadata (``x-amz-meta-sha256``). After the upload the object is
stat'ed: only when its size and sha256 match is the local segment deleted. A failure leaves
the segment in the spool and the uploader backs off (1 s doubling to 30 s); a segment
uploaded twice (a crash between the upload and the delete) lands on the same key.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import S3Error

from collectors.sinks.spool import Sealed, Spool
from core.clock import Clock, to_ms
from core.config import Settings
from core.db import Database
from core.models import SinkState
from core.services import mirror

log = logging.getLogger(__name__)

NAME = "archive"
PREFIX = "raw/"
IDLE_S = 1.0
MAX_BACKOFF_S = 30.0
SHA_META = "sha256"


def client(settings: Settings) -> Minio:
    """A ``minio`` client with retries off, so that a server that is down fails fast and the
    spool keeps the segment."""
    assert settings.s3_url is not None
    url = urlsplit(settings.s3_url)
    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
    return Minio(
        url.netloc,
        access_key=settings.s3_access_key,
        secret_key=secret,
        secure=url.scheme == "https",
        region=settings.s3_region,
        http_client=urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30)),
    )


def key_of(segment: Sealed) -> str:
    hour = datetime.fromtimestamp(segment.first_ms / 1000, tz=UTC).strftime("%Y/%m/%d/%H")
    return f"{PREFIX}{hour}/{segment.path.name}"


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, S3Error):
        if exc.code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return "unauthorized"
        if exc.code in ("NoSuchBucket",):
            return "not_found"
        return "other"
    if isinstance(exc, OSError) or type(exc).__module__.startswith("urllib3"):
        return "unreachable"
    return "other"


def describe(exc: BaseException) -> str:
    if isinstance(exc, S3Error):
        return f"{exc.code}: {exc.message}"
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def probe(settings: Settings) -> tuple[bool, str]:
    """Whether the server answers, the keys are accepted and the bucket exists."""
    try:
        exists = client(settings).bucket_exists(settings.s3_bucket)
    except Exception as exc:  # every failure is said, by kind
        return False, f"{settings.s3_url}: {error_kind(exc)}: {describe(exc)}"
    if not exists:
        return False, (
            f"{settings.s3_url}: not_found: bucket {settings.s3_bucket!r} does not exist; "
            "create it (Warden does not create buckets)"
        )
    return True, f"{settings.s3_url} bucket {settings.s3_bucket!r} is reachable"


class S3Archive:
    """The uploader of one process (the agent's); it also seals its spool's due segments."""

    def __init__(self, db: Database, clock: Clock, settings: Settings, spool: Spool) -> None:
        self._db = db
        self._clock = clock
        self._bucket = settings.s3_bucket
        self._client = client(settings)
        self.spool = spool
        self.state = SinkState(name=NAME)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff_s = 0.0
        self._logged_failure = False

    def upload_once(self) -> bool:
        """Seal what is due and upload the oldest sealed segment; True when more wait."""
        self.spool.seal_due()
        segments = self.spool.sealed()
        if not segments:
            self._publish(segments)
            return False
        segment = segments[0]
        try:
            self._upload(segment)
        except Exception as exc:  # every failure is counted; the segment stays
            self._failed(exc, segments)
            return False
        segment.path.unlink(missing_ok=True)
        self._succeeded(segments[1:])
        return len(segments) > 1

    def _upload(self, segment: Sealed) -> None:
        data = segment.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        key = key_of(segment)
        self._client.put_object(
            self._bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type="application/x-ndjson",
            metadata={SHA_META: digest},
        )
        stat = self._client.stat_object(self._bucket, key)
        stored = {k.lower(): v for k, v in (stat.metadata or {}).items()}
        if stat.size != len(data) or stored.get(f"x-amz-meta-{SHA_META}") != digest:
            raise OSError(f"{key}: the stored object does not match what was sent")

    def _succeeded(self, waiting: list[Sealed]) -> None:
        if self.state.failing_since_ms is not None:
            log.info("S3 archive recovered; uploading the spool")
        self.state.sent += 1
        self.state.last_success_ms = to_ms(self._clock.now())
        self.state.failing_since_ms = None
        self._logged_failure = False
        self._backoff_s = 0.0
        self._publish(waiting)

    def _failed(self, exc: BaseException, waiting: list[Sealed]) -> None:
        kind = error_kind(exc)
        self.state.errors[kind] = self.state.errors.get(kind, 0) + 1
        self.state.last_error = f"{kind}: {describe(exc)}"
        if self.state.failing_since_ms is None:
            self.state.failing_since_ms = to_ms(self._clock.now())
        self._backoff_s = min(MAX_BACKOFF_S, max(1.0, self._backoff_s * 2))
        if not self._logged_failure:
            log.warning(
                "S3 archive failing (%s); segments wait in the spool", self.state.last_error
            )
            self._logged_failure = True
        self._publish(waiting)

    def _publish(self, waiting: list[Sealed]) -> None:
        now = self._clock.now()
        self.state.pending = len(waiting)
        self.state.lag_s = max(0, to_ms(now) - waiting[0].first_ms) / 1000 if waiting else 0.0
        self.state.at_ms = to_ms(now)
        with self._db.writer() as session:
            mirror.publish_state(session=session, state=self.state, now=now)

    def spool_used_pct(self) -> float:
        return self.spool.refresh_stats().used_pct

    def failing_for_s(self) -> float:
        return self.state.failing_for_s(to_ms(self._clock.now()))

    def stats(self) -> dict[str, Any]:
        spool = self.spool.refresh_stats()
        return {
            **self.state.model_dump(),
            "spool_bytes": spool.sealed_bytes + spool.open_bytes,
            "spool_max_bytes": spool.max_bytes,
            "dropped_segments": spool.dropped_segments,
        }

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                more = self.upload_once()
            except Exception:
                log.exception("S3 archive pass failed")
                more = False
                self._backoff_s = min(MAX_BACKOFF_S, max(1.0, self._backoff_s * 2))
            if more and not self._backoff_s:
                continue
            self._stop.wait(self._backoff_s or IDLE_S)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="s3-archive", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.spool.close()


# -- reading the archive back -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchivedObject:
    key: str
    size: int
    last_modified: datetime | None


def _hours(since_ms: int, until_ms: int) -> Iterator[str]:
    """The hour prefixes a window touches (one extra hour before: a segment starts in the
    hour of its first message and may run into the next)."""
    hour_ms = 3_600_000
    start = (since_ms // hour_ms - 1) * hour_ms
    for at in range(start, until_ms + 1, hour_ms):
        yield datetime.fromtimestamp(at / 1000, tz=UTC).strftime(f"{PREFIX}%Y/%m/%d/%H/")


def list_objects(settings: Settings, *, since_ms: int, until_ms: int) -> list[ArchivedObject]:
    s3 = client(settings)
    found = []
    for prefix in _hours(since_ms, until_ms):
        for obj in s3.list_objects(settings.s3_bucket, prefix=prefix, recursive=True):
            found.append(ArchivedObject(obj.object_name, obj.size or 0, obj.last_modified))
    return found


def get_object(settings: Settings, key: str) -> bytes:
    """An archived segment, decompressed and checked against its sha256."""
    s3 = client(settings)
    answer = s3.get_object(settings.s3_bucket, key)
    try:
        data = answer.read()
    finally:
        answer.close()
        answer.release_conn()
    stat = s3.stat_object(settings.s3_bucket, key)
    stored = {k.lower(): v for k, v in (stat.metadata or {}).items()}
    expected = stored.get(f"x-amz-meta-{SHA_META}")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise ValueError(f"{key}: content does not match its sha256 {expected}")
    return gzip.decompress(data)


def records(settings: Settings, *, since_ms: int, until_ms: int) -> Iterator[dict[str, Any]]:
    """Every archived message received within the window, oldest segment first."""
    for obj in sorted(list_objects(settings, since_ms=since_ms, until_ms=until_ms), key=_order):
        for line in get_object(settings, obj.key).splitlines():
            rec = json.loads(line)
            if since_ms <= rec["t"] <= until_ms:
                yield rec


def _order(obj: ArchivedObject) -> tuple[str, str]:
    name = obj.key.rsplit("/", 1)[-1]
    parts = name.split("-")
    return (parts[-3] if len(parts) >= 3 else "", name)
