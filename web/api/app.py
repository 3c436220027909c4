"""The REST API application: ``create_app(core)`` builds it, ``warden web`` and ``warden
serve`` run it with uvicorn.

Everything under ``/api/v1`` needs a bearer access token and a role the permission table
allows (``web.api.deps``), except signing in and renewing a token, and the device routes
that take an ``X-API-Key``. The operations endpoints (``/healthz``, ``/readyz``,
``/metrics``) sit at the root.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.pipeline.http_ingest import RawArchive
from core.runtime import Core
from core.tokens import TokenIssuer, load_secret
from web.api import device_routes, ops
from web.api.deps import on_service_refusal, permission_of
from web.api.errors import error_response, install_error_handlers
from web.api.routes import (
    actions,
    audit,
    auth,
    catalog,
    commands,
    devices,
    findings,
    intents,
    logs,
    maintenance,
    system,
    telemetry,
    users,
)


class Agent(Protocol):
    """What the API needs of an agent running in the same process (``warden.agent``)."""

    def state(self) -> dict[str, Any]: ...


API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 1024 * 1024
"""Largest request body of the API's own routes (the device routes bound their own)."""


ROUTERS = (
    auth.router,
    devices.router,
    telemetry.router,
    commands.router,
    logs.router,
    findings.router,
    intents.router,
    actions.router,
    catalog.rules_router,
    catalog.playbooks_router,
    maintenance.router,
    users.router,
    audit.router,
    system.router,
)


class BodyLimit:
    """Answer 413 (in the API's error shape) to a request body over ``max_bytes``, by its
    Content-Length or, for a chunked body, as soon as the bytes read pass the limit. The
    body is held until then, so a route never sees half of a refused body."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt: Iterable[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"the request body is over {self.max_bytes} bytes"
        )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def create_app(
    core: Core,
    *,
    agent: Agent | None = None,
    tokens: TokenIssuer | None = None,
    raw_archive: RawArchive | None = None,
) -> FastAPI:
    """The API app on ``core``. ``agent`` (when it runs in this process) feeds /readyz
    and /metrics; what the kernel can enforce comes from ``core.kernel``;
    ``tokens`` replaces the issuer built from the settings' secret and the core's clock;
    ``raw_archive`` (``WARDEN_S3_URL``) keeps every body devices send, as received."""
    app = FastAPI(
        title="Warden API",
        version="1",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.core = core
    app.state.agent = agent
    app.state.raw_archive = raw_archive
    app.state.tokens = tokens or TokenIssuer(load_secret(core.settings), core.clock)

    app.include_router(ops.router)
    app.include_router(device_routes.router, prefix=API_PREFIX)
    for router in ROUTERS:
        _document_permissions(router)
        app.include_router(router, prefix=API_PREFIX)

    install_error_handlers(app, on_denied=on_service_refusal)
    device_paths = {f"{API_PREFIX}{route.path}" for route in device_routes.router.routes}  # type: ignore[attr-defined]
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, exempt=device_paths)
    return app


def _document_permissions(router: APIRouter) -> None:
    """Write each route's permission into the OpenAPI document as ``x-permission``."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            permission = permission_of(route)
            if permission is not None:
                extra: dict[str, Any] = dict(route.openapi_extra or {})
                extra["x-permission"] = permission.value
                route.openapi_extra = extra
