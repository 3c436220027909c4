"""Errors at the edge of the REST API: every failure answers ``{"error": {"code",
"message"}}`` with its status, and never a traceback.

``WardenError`` subclasses map to a status by their family; the code is the snake_case
name of the class (``device_not_found``, ``intent_conflict``), so clients can tell the
specific case from the family given by the status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Throttled,
    Unauthenticated,
    WardenError,
)

log = logging.getLogger(__name__)

STATUS_BY_FAMILY: tuple[tuple[type[WardenError], int], ...] = (
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (Throttled, 429),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 400),
)
"""First match wins; any other ``WardenError`` is a 400."""

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def status_of(error: WardenError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    return 400


def warden_error_response(error: WardenError) -> JSONResponse:
    status = status_of(error)
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, Throttled):
        headers["Retry-After"] = str(max(1, int(error.retry_after_s)))
    return error_response(status, snake_case(type(error).__name__), error.msg, headers)


def _validation_message(error: RequestValidationError | ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def install_error_handlers(
    app: FastAPI,
    *,
    on_denied: Callable[[Request, PermissionDenied], None] | None = None,
    on_unauthenticated: Callable[[Request, Unauthenticated], None] | None = None,
) -> None:
    """Map every exception the API can meet to the error shape. ``on_denied(request,
    error)`` is called for a refusal raised by a service (the route's own check records
    its refusals itself); ``on_unauthenticated`` for every 401."""

    @app.exception_handler(WardenError)
    def _warden(request: Request, error: WardenError) -> JSONResponse:
        if isinstance(error, PermissionDenied) and on_denied is not None:
            on_denied(request, error)
        if isinstance(error, Unauthenticated) and on_unauthenticated is not None:
            on_unauthenticated(request, error)
        return warden_error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", _validation_message(error))

    @app.exception_handler(ValidationError)
    def _invalid_model(_request: Request, error: ValidationError) -> JSONResponse:
        # A route building a core model from what the client sent (``DeviceCreate``).
        return error_response(422, "validation_error", _validation_message(error))

    @app.exception_handler(OverflowError)
    def _overflow(request: Request, error: OverflowError) -> JSONResponse:
        # A number no database column can hold (SQLite: above 2^63 - 1) that no schema
        # bounded: the client's input, not the server's fault.
        log.warning("number out of range on %s %s: %s", request.method, request.url.path, error)
        return error_response(422, "validation_error", "a number in the request is out of range")

    @app.exception_handler(StarletteHTTPException)
    def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(error.status_code, f"http_{error.status_code}")
        message = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
        return error_response(error.status_code, code, message, dict(error.headers or {}))

    @app.exception_handler(Exception)
    def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an unexpected error occurred; see the log")
