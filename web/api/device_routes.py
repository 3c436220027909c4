"""The device-facing routes of PROTOCOL.md "HTTP", authenticated by ``X-API-Key``.

- ``POST /devices/telemetry``: a v2 telemetry envelope, or ``{"data": {...numbers...},
  "metadata": {...}, "timestamp": "..."}`` (``data`` is read as flat JSON; ``metadata``
  values become the device's ``metadata.<key>`` attributes). ``201`` once committed.
- ``POST /devices/heartbeat``: marks the device seen (online). ``200``.
- ``POST /logs/ingest``: ``{"lines": [...]}``, up to ``MAX_LOG_LINES`` raw syslog lines,
  for a key with the ``logs`` scope. ``201`` with the counts.

Errors: ``400`` naming the bad field (the code is the dead-letter reason), ``401`` unknown
key, ``403`` disabled device or missing scope, ``413`` too large, ``429`` with
``Retry-After`` (``web.api.rate_limit``: per device and per client address, the address
behind a trusted proxy as ``web.api.deps.client_address`` finds it).

Telemetry goes through the same judge and commit as MQTT (``core.pipeline.judge``,
``core.services.ingest.commit_batch``), so it is stored identically and bad input is kept
as a dead letter with source ``http`` and counted. Each request is judged and committed in
its own write transaction before it is answered: acknowledgements follow commits.

The routes are ``async`` only to read the body with a bound; all database work runs in
the thread pool.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.clock import to_ms
from core.errors import WardenError
from core.metrics import HTTP_COUNTERS_KEY
from core.models import DevicePublic, Setting
from core.models.deadletter import HEAD_BYTES
from core.pipeline.batch import DeadLetterRow, IngestBatch, RawMessage
from core.pipeline.judge import Judge
from core.pipeline.log_writer import RawLine, parse_line
from core.pipeline.writer import IngestCounters
from core.protocol import ProtocolError, Reason
from core.protocol.checks import load_object
from core.runtime import Core
from core.services import apikeys, ingest, logs
from core.services.runtime import upsert_setting
from web.api.deps import client_address
from web.api.errors import error_response, warden_error_response
from web.api.ops import app_metrics
from web.api.rate_limit import IngestLimits, retry_after_s

router = APIRouter(tags=["device ingest"])

MAX_LOG_LINES = 1000
MAX_LOG_BODY_BYTES = 1024 * 1024
"""``POST /logs/ingest`` bodies (1 000 lines of about 1 KiB)."""
V2_KEYS = frozenset({"v", "msg_type", "measurements", "seq"})
"""A body with any of these is a v2 envelope; otherwise the ``{data, metadata, timestamp}``
form."""
ApiKeyHeader = Annotated[str | None, Header(alias="X-API-Key")]

_state_lock = threading.Lock()


def ingest_limits(app: FastAPI) -> IngestLimits:
    """The app's rate limits (tests set ``app.state.ingest_limits`` with their clock)."""
    with _state_lock:
        limits = getattr(app.state, "ingest_limits", None)
        if limits is None:
            limits = app.state.ingest_limits = IngestLimits()
        return limits


@dataclass(slots=True)
class Body:
    data: bytes
    size: int
    """Bytes declared or read; over the limit when ``too_large``."""
    too_large: bool


async def read_body(request: Request, limit: int) -> Body:
    """The body, read no further than ``limit`` + 1 bytes (Content-Length is checked
    first, but a client may lie or stream)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return Body(b"", int(declared), True)
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return Body(b"".join(chunks)[:HEAD_BYTES], size, True)
    return Body(b"".join(chunks), size, False)


def _too_large(size: int, limit: int) -> JSONResponse:
    return error_response(
        413, "payload_too_large", f"the body is {size} bytes, over the {limit} allowed"
    )


async def _admit(request: Request, key: str | None, scope: str) -> DevicePublic | JSONResponse:
    """Rate limit by address, verify the key, rate limit by device: the device, or the
    response that refuses it."""
    limits = ingest_limits(request.app)
    address = client_address(request) or "unknown"
    wait = limits.per_address.take(f"addr:{address}")
    if wait:
        return _throttled(f"too many requests from {address}", wait)
    if not key:
        return error_response(401, "unauthenticated", "the X-API-Key header is missing")
    core: Core = request.app.state.core
    try:
        device = await run_in_threadpool(_verify, core, key, scope)
    except WardenError as error:
        return warden_error_response(error)
    wait = limits.per_device.take(f"device:{device.id}")
    if wait:
        return _throttled(f"too many requests for device {device.id}", wait)
    return device


def _throttled(message: str, wait: float) -> JSONResponse:
    after = retry_after_s(wait)
    return error_response(
        429, "throttled", f"{message}; retry in {after} s", {"Retry-After": str(after)}
    )


def _verify(core: Core, key: str, scope: str) -> DevicePublic:
    with core.db.writer() as session:
        return apikeys.verify_key(session=session, key=key, scope=scope, now=core.clock.now())


# ---------------------------------------------------------------- telemetry


@router.post("/devices/telemetry", status_code=201)
async def post_telemetry(request: Request, x_api_key: ApiKeyHeader = None) -> JSONResponse:
    """Store one telemetry message of the device the key belongs to."""
    admitted = await _admit(request, x_api_key, "telemetry")
    if isinstance(admitted, JSONResponse):
        return admitted
    core: Core = request.app.state.core
    limit = core.settings.max_payload_bytes
    body = await read_body(request, limit)
    metrics = app_metrics(request.app)
    started = time.perf_counter()
    batch = await run_in_threadpool(_store_telemetry, core, admitted.id, body)
    metrics.http_commit_seconds.observe(time.perf_counter() - started)
    if body.too_large:
        return _too_large(body.size, limit)
    if batch.dead_letters:
        dead = batch.dead_letters[0]
        return error_response(400, dead.reason, dead.detail)
    return JSONResponse(
        {"device_id": admitted.id, **batch.summary()},
        status_code=201,
    )


def _store_telemetry(core: Core, device_id: str, body: Body) -> IngestBatch:
    settings = core.settings
    received_ms = to_ms(core.clock.now())
    raw = RawMessage(
        topic=f"{settings.mqtt_prefix}/{device_id}/telemetry",
        payload=body.data,
        received_ms=received_ms,
        source="http",
    )
    batch = IngestBatch()
    with core.db.writer() as session:
        if body.too_large:
            detail = f"payload is {body.size} bytes, over the {settings.max_payload_bytes} allowed"
            batch.dead_letters.append(
                replace(
                    DeadLetterRow.from_error(
                        raw, ProtocolError(Reason.TOO_LARGE, detail), HEAD_BYTES
                    ),
                    size=body.size,
                )
            )
        else:
            try:
                message = _for_pipeline(raw, settings.mqtt_prefix, device_id)
            except ProtocolError as error:
                batch.dead_letters.append(DeadLetterRow.from_error(raw, error, HEAD_BYTES))
            else:
                judge = Judge(
                    prefix=settings.mqtt_prefix,
                    max_payload_bytes=settings.max_payload_bytes,
                    load_seq=lambda d: ingest.load_seq_state(session=session, device_id=d),
                )
                judge.add(message, batch)
                # Keep what the device sent, not the form the pipeline read.
                batch.dead_letters = [
                    replace(d, size=len(raw.payload), head=raw.payload[:HEAD_BYTES])
                    for d in batch.dead_letters
                ]
        _commit(core, session, batch, received=1)
    return batch


def _commit(core: Core, session: Any, batch: IngestBatch, *, received: int) -> None:
    """Commit a judged batch with the HTTP counters, in one transaction."""
    now = core.clock.now()
    row = session.get(Setting, HTTP_COUNTERS_KEY)
    counters = IngestCounters.from_json(dict(row.value) if row is not None and row.value else {})
    counters.add(batch, received)
    upsert_setting(session=session, key=HTTP_COUNTERS_KEY, value=counters.to_json(), now=now)
    ingest.commit_batch(session=session, batch=batch, series_cache=ingest.SeriesCache(), now=now)


def _for_pipeline(raw: RawMessage, prefix: str, device_id: str) -> RawMessage:
    """The message the judge reads: a v2 envelope as sent (on the telemetry topic, so its
    ``device_id`` must be the key's device), or the ``{data, metadata, timestamp}`` form
    checked here and handed over as flat JSON."""
    obj = load_object(raw.payload)
    if V2_KEYS & obj.keys():
        return raw
    flat: dict[str, Any] = {"data": _data(obj.get("data"), "data")}
    if obj.get("timestamp") is not None:
        flat["timestamp"] = obj["timestamp"]
    flat["metadata"] = _metadata(obj.get("metadata"))
    return RawMessage(
        topic=f"{prefix}/{device_id}/data",
        payload=json.dumps(flat).encode(),
        received_ms=raw.received_ms,
        source="http",
    )


def _data(value: Any, path: str) -> dict[str, Any]:
    if value is None and path == "data":
        raise ProtocolError(Reason.MISSING_FIELD, "data is missing")
    if type(value) is not dict:
        raise _wrong(path, "an object of numbers", value)
    for key, item in value.items():
        where = f"{path}.{key}"
        if type(item) is dict:
            _data(item, where)
        elif type(item) not in (int, float, bool):
            raise _wrong(where, "a number", item)
    return value


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise _wrong("metadata", "an object", value)
    out = {}
    for key, item in value.items():
        if type(item) is str:
            out[key] = item
        elif type(item) in (int, float, bool):
            out[key] = json.dumps(item)
        elif item is not None:
            raise _wrong(f"metadata.{key}", "a string, number or boolean", item)
    return out


def _wrong(field: str, expected: str, value: Any) -> ProtocolError:
    shown = json.dumps(value)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return ProtocolError(Reason.WRONG_TYPE, f"{field} must be {expected}, not {shown}")


# ---------------------------------------------------------------- heartbeat


@router.post("/devices/heartbeat")
async def post_heartbeat(request: Request, x_api_key: ApiKeyHeader = None) -> JSONResponse:
    """Mark the device seen now (online), like any message over MQTT."""
    admitted = await _admit(request, x_api_key, "telemetry")
    if isinstance(admitted, JSONResponse):
        return admitted
    core: Core = request.app.state.core
    seen_ms = await run_in_threadpool(_store_heartbeat, core, admitted.id)
    return JSONResponse({"device_id": admitted.id, "seen_ms": seen_ms})


def _store_heartbeat(core: Core, device_id: str) -> int:
    seen_ms = to_ms(core.clock.now())
    batch = IngestBatch()
    sighting = batch.sighting(device_id)
    sighting.last_seen_ms = seen_ms
    sighting.live = True
    with core.db.writer() as session:
        ingest.commit_batch(
            session=session, batch=batch, series_cache=ingest.SeriesCache(), now=core.clock.now()
        )
    return seen_ms


# ---------------------------------------------------------------- logs


@router.post("/logs/ingest", status_code=201)
async def post_logs(request: Request, x_api_key: ApiKeyHeader = None) -> JSONResponse:
    """Store up to ``MAX_LOG_LINES`` raw syslog lines, parsed like the syslog collector's."""
    admitted = await _admit(request, x_api_key, "logs")
    if isinstance(admitted, JSONResponse):
        return admitted
    body = await read_body(request, MAX_LOG_BODY_BYTES)
    if body.too_large:
        return _too_large(body.size, MAX_LOG_BODY_BYTES)
    try:
        lines = _log_lines(body.data)
    except ProtocolError as error:
        return error_response(400, error.reason, error.detail)
    if len(lines) > MAX_LOG_LINES:
        return error_response(
            413, "payload_too_large", f"{len(lines)} lines, at most {MAX_LOG_LINES} per request"
        )
    core: Core = request.app.state.core
    address = client_address(request)
    result = await run_in_threadpool(_store_logs, core, lines, address)
    return JSONResponse(
        {"stored": result.stored, "linked": result.linked, "identities": result.identities},
        status_code=201,
    )


def _log_lines(payload: bytes) -> list[str]:
    obj = load_object(payload)
    lines = obj.get("lines")
    if lines is None:
        raise ProtocolError(Reason.MISSING_FIELD, "lines is missing")
    if type(lines) is not list:
        raise _wrong("lines", "a list of strings", lines)
    for i, line in enumerate(lines):
        if type(line) is not str:
            raise _wrong(f"lines[{i}]", "a string", line)
    return lines


def _store_logs(core: Core, lines: list[str], address: str | None) -> logs.LogBatchResult:
    received_ms = to_ms(core.clock.now())
    parsed = [
        parse_line(RawLine(line.encode("utf-8"), received_ms, "http", address)) for line in lines
    ]
    with core.db.writer() as session:
        return logs.ingest_batch(session=session, lines=parsed)
