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
    app = create_app(core, agent=agent)
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
