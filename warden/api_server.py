"""Serving the REST API and the web console (one FastAPI app, NiceGUI mounted at ``/``)
with uvicorn in the calling thread, which then handles SIGINT/SIGTERM and returns after a
clean shutdown."""

from __future__ import annotations

import click

from core.runtime import Core
from warden.agent import Agent


def serve_api(core: Core, *, agent: Agent | None = None) -> None:
    import uvicorn

    from web.api.app import create_app
    from web.ui.app import mount

    settings = core.settings
    raw_archive = agent.raw_tap if agent is not None else _own_raw_tap(core)
    app = create_app(core, agent=agent, raw_archive=raw_archive)
    mount(app, core, https=settings.https)
    base = f"http://{settings.http_host}:{settings.http_port}"
    click.echo(
        f"Warden console on {base}/ and API on {base}/api/v1 (docs: /api/v1/docs); Ctrl-C stops",
        err=True,
    )
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep the logging configure_logging set up
        proxy_headers=False,  # client addresses are the peers'; see docs on proxies
    )


def _own_raw_tap(core: Core):  # type: ignore[no-untyped-def]
    """``warden web`` beside ``warden agent``: HTTP bodies go to the shared spool from this
    process; it seals its own segments, the agent's uploader sends them."""
    if not core.settings.s3_url:
        return None
    from collectors.sinks.raw_tap import RawTap, open_spool

    tap = RawTap(open_spool(core.settings, core.clock))
    tap.start_sealer()
    return tap
