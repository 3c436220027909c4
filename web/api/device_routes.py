"""The device-facing routes of PROTOCOL.md "HTTP", authenticated by ``X-API-Key``.

- ``POST /devices/telemetry``: a v2 telemetry envelope, or ``{"data": {...numbers...},
  "metadata": {...}, "timestamp": "..."}``. ``201`` once committed.
- ``POST /devices/heartbeat``: marks the device seen (online). ``200``.
- ``POST /logs/ingest``: ``{"lines": [...]}``, raw syslog lines (up to
  ``http_ingest.MAX_LOG_LINES``), for a key with the ``logs`` scope. ``201`` with the counts.

What a body means, how it is stored and counted, and what becomes a dead letter is
``core.pipeline.http_ingest``'s: these routes authenticate, rate limit, read the body with
a bound, call it and turn its answer or ``ProtocolError`` into a response.

Errors: ``400`` naming the bad field (the code is the dead-letter reason), ``401`` unknown
key, ``403`` disabled device or missing scope, ``413`` too large, ``429`` with
``Retry-After`` (``web.api.rate_limit``: per device and per client address, the address
behind a trusted proxy as ``web.api.deps.client_address`` finds it).

The routes are ``async`` only to read the body with a bound; all database work runs in
the thread pool, and each request is committed before it is answered.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.errors import WardenError
from core.models import DevicePublic
from core.models.deadletter import HEAD_BYTES
from core.pipeline.http_ingest import HttpIngest
from core.protocol import ProtocolError, Reason
from core.runtime import Core
from core.services import apikeys
from web.api.deps import client_address
from web.api.errors import error_response, warden_error_response
from web.api.ops import app_metrics
from web.api.rate_limit import IngestLimits, retry_after_s

router = APIRouter(tags=["device ingest"])

MAX_LOG_BODY_BYTES = 1024 * 1024
"""``POST /logs/ingest`` bodies (1 000 lines of about 1 KiB)."""
ApiKeyHeader = Annotated[str | None, Header(alias="X-API-Key")]

_state_lock = threading.Lock()


def ingest_limits(app: FastAPI) -> IngestLimits:
    """The app's rate limits (tests set ``app.state.ingest_limits`` with their clock)."""
    with _state_lock:
        limits = getattr(app.state, "ingest_limits", None)
        if limits is None:
            limits = app.state.ingest_limits = IngestLimits()
        return limits


def http_ingest(app: FastAPI) -> HttpIngest:
    """The app's HTTP ingest, timing its commits into the app's metrics."""
    with _state_lock:
        ingest = getattr(app.state, "http_ingest", None)
        if ingest is None:
            core: Core = app.state.core
            ingest = app.state.http_ingest = HttpIngest(
                core.db,
                core.clock,
                prefix=core.settings.mqtt_prefix,
                max_payload_bytes=core.settings.max_payload_bytes,
                commit_seconds=app_metrics(app).http_commit_seconds,
                mirror=core.settings.influx_url is not None,
                archive=getattr(app.state, "raw_archive", None),
            )
        return ingest


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


def _refused(error: ProtocolError) -> JSONResponse:
    """A body the pipeline refused: ``413`` when too large, else ``400`` with the reason."""
    if error.reason is Reason.TOO_LARGE:
        return error_response(413, "payload_too_large", error.detail)
    return error_response(400, error.reason, error.detail)


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
    ingest = http_ingest(request.app)
    limit = ingest.max_payload_bytes
    body = await read_body(request, limit)
    try:
        stored = await run_in_threadpool(ingest.telemetry, admitted.id, body.data, size=body.size)
    except ProtocolError as error:  # kept as a dead letter
        return _too_large(body.size, limit) if body.too_large else _refused(error)
    return JSONResponse({"device_id": admitted.id, **asdict(stored)}, status_code=201)


# ---------------------------------------------------------------- heartbeat


@router.post("/devices/heartbeat")
async def post_heartbeat(request: Request, x_api_key: ApiKeyHeader = None) -> JSONResponse:
    """Mark the device seen now (online), like any message over MQTT."""
    admitted = await _admit(request, x_api_key, "telemetry")
    if isinstance(admitted, JSONResponse):
        return admitted
    seen_ms = await run_in_threadpool(http_ingest(request.app).heartbeat, admitted.id)
    return JSONResponse({"device_id": admitted.id, "seen_ms": seen_ms})


# ---------------------------------------------------------------- logs


@router.post("/logs/ingest", status_code=201)
async def post_logs(request: Request, x_api_key: ApiKeyHeader = None) -> JSONResponse:
    """Store up to 1 000 raw syslog lines, parsed like the syslog collector's."""
    admitted = await _admit(request, x_api_key, "logs")
    if isinstance(admitted, JSONResponse):
        return admitted
    body = await read_body(request, MAX_LOG_BODY_BYTES)
    if body.too_large:
        return _too_large(body.size, MAX_LOG_BODY_BYTES)
    ingest = http_ingest(request.app)
    try:
        result = await run_in_threadpool(ingest.logs, body.data, address=client_address(request))
    except ProtocolError as error:
        return _refused(error)
    return JSONResponse(
        {"stored": result.stored, "linked": result.linked, "identities": result.identities},
        status_code=201,
    )
