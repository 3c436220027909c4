"""Serving the REST API and the web console (one FastAPI app, NiceGUI mounted at ``/``)
with uvicorn in the calling thread, which then handles SIGINT/SIGTERM and returns after a
clean shutdown."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import click

from core.runtime import Core
from warden.agent import Agent


def serve_api(
    core: Core,
    *,
    agent: Agent | None = None,
    after_start: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM. ``after_start`` runs on a thread once the server
    listens (the demo starts its broker, agent and fleet there, so the console answers
    first); when it fails the server stops and its error is raised here."""
    import uvicorn

    from web.api.app import create_app
    from web.ui.app import mount

    quiet_per_request_logs()
    settings = core.settings
    raw_archive = agent.raw_tap if agent is not None else _own_raw_tap(core)
    app = create_app(core, agent=agent, raw_archive=raw_archive)
    mount(app, core, https=settings.https)
    base = f"http://{settings.http_host}:{settings.http_port}"
    click.echo(
        f"Warden console on {base}/ and API on {base}/api/v1 (docs: /api/v1/docs); Ctrl-C stops",
        err=True,
    )
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep the logging configure_logging set up
        proxy_headers=False,  # client addresses are the peers'; see docs on proxies
    )
    server = _server_class()(config, after_start)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises a held SIGINT again
        server.run()
    if server.thread is not None:  # the caller cleans up after it: let it finish first
        server.thread.join()
    if server.failure is not None:
        raise server.failure
    if not server.started:  # as uvicorn.run: it logged why (a port taken, say)
        raise SystemExit(STARTUP_FAILURE)


STARTUP_FAILURE = 3
"""uvicorn's exit status when the server could not start."""


def _server_class() -> type[Any]:
    """A uvicorn ``Server`` that runs ``after_start`` on a thread once it listens (defined
    here so uvicorn loads only with the server)."""
    import uvicorn

    class ThenServer(uvicorn.Server):
        def __init__(self, config: uvicorn.Config, after_start: Callable[[], None] | None):
            super().__init__(config)
            self.after_start = after_start
            self.failure: BaseException | None = None
            self.thread: threading.Thread | None = None

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and self.after_start is not None:
                self.thread = threading.Thread(
                    target=self._after_start, name="after-start", daemon=True
                )
                self.thread.start()

        def _after_start(self) -> None:
            assert self.after_start is not None
            try:
                self.after_start()
            except BaseException as exc:  # handed to serve_api, which raises it
                self.failure = exc
                self.should_exit = True

    return ThenServer


def _own_raw_tap(core: Core):  # type: ignore[no-untyped-def]
    """``warden web`` beside ``warden agent``: HTTP bodies go to the shared spool from this
    process; it seals its own segments, the agent's uploader sends them."""
    if not core.settings.s3_url:
        return None
    from collectors.sinks.raw_tap import RawTap, open_spool

    tap = RawTap(open_spool(core.settings, core.clock))
    tap.start_sealer()
    return tap


PER_REQUEST_LOGGERS = ("uvicorn.access", "uvicorn.error", "websockets.server")
CONNECTION_LINES = frozenset({"connection open", "connection closed"})
"""What the websockets library says per connection (through uvicorn's logger)."""


class PerRequestAtDebug(logging.Filter):
    """uvicorn's line per request, websocket handshake and connection open/closed go to
    DEBUG (they were most of the serve process's output, with full URLs); a request the
    server failed (5xx) goes to WARNING, its query string left off."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        level = logging.DEBUG
        args = record.args if isinstance(record.args, tuple) else ()
        if record.name == "uvicorn.access" and len(args) == 5:
            client, method, path, version, status = args
            if isinstance(status, int) and status >= 500:
                level = logging.WARNING
                record.args = (client, method, str(path).split("?")[0], version, status)
        elif record.name == "uvicorn.error" and not _per_connection(str(record.msg)):
            return True  # startup and shutdown lines stay at INFO
        record.levelno, record.levelname = level, logging.getLevelName(level)
        return logging.getLogger().isEnabledFor(level)


def _per_connection(message: str) -> bool:
    return message.startswith('%s - "WebSocket') or message in CONNECTION_LINES


def quiet_per_request_logs() -> None:
    for name in PER_REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PerRequestAtDebug) for f in logger.filters):
            logger.addFilter(PerRequestAtDebug())
