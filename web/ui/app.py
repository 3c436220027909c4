"""Putting the web console together: ``register`` installs the pages, the sign-in guard
and the live hub on NiceGUI's app; ``mount`` then serves them beside the REST API on one
FastAPI app (``warden web``, ``warden serve``). Tests call ``register`` alone and drive the
pages with NiceGUI's simulated ``user``.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import FastAPI
from nicegui import Client, app, ui
from nicegui.storage import Storage

from core.runtime import Core
from core.tokens import load_secret
from web.ui.context import WebContext, install
from web.ui.guard import SignInRequired
from web.ui.live import POLL_S, STATUS_S, LiveHub
from web.ui.pages import actions, admin, devices, findings, intents, login, logs, overview, rules
from web.ui.reclaim import RECLAIM_S, PageReclaimer

PAGES = (login, overview, devices, findings, intents, actions, logs, rules, admin)

UNCONNECTED_PAGE_S = 15.0
"""How long a page served but never connected (a prefetch, a bot, a browser gone before its
script ran) keeps its server-side client: NiceGUI keeps it 60 s, about 1 MB a page, so
page loads without a browser behind them grew the process by their rate times 60 s
(``warden bench serve`` without sockets: +300 MB over 180 loads). A browser connects within
a second or two; one later than this reloads the page (NiceGUI's script does)."""


def prune_unconnected_pages() -> None:
    Client.prune_instances(client_age_threshold=UNCONNECTED_PAGE_S)


def register(core: Core) -> WebContext:
    hub = LiveHub(core)
    context = WebContext(core=core, hub=hub)
    install(context)
    for page in PAGES:
        page.register(context)  # each page is a class built from this context (no globals)
    app.add_middleware(SignInRequired)
    context.feed_timer = app.timer(POLL_S, hub.poll)
    app.timer(STATUS_S, hub.refresh_status, immediate=True)
    app.timer(UNCONNECTED_PAGE_S / 3, prune_unconnected_pages)
    reclaimer = PageReclaimer()
    app.on_delete(reclaimer.page_deleted)
    app.timer(RECLAIM_S, reclaimer.collect)
    app.on_shutdown(hub.close)
    return context


def storage_secret(core: Core) -> str:
    """The key NiceGUI signs its session cookie with, derived from the gateway's JWT secret
    (one secret file to guard, a different key for each purpose)."""
    return hmac.new(load_secret(core.settings), b"warden web session", hashlib.sha256).hexdigest()


SESSION_DIR = "web-sessions"


def use_session_dir(core: Core) -> None:
    """Keep NiceGUI's server-side browser sessions in the data dir (``web-sessions/``,
    owner only), not in ``.nicegui/`` under whatever directory the server started in."""
    path = core.settings.data_dir / SESSION_DIR
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    Storage.path = path.resolve()


def mount(
    api: FastAPI,
    core: Core,
    *,
    https: bool = False,
) -> None:
    """Serve the console on ``api`` (the REST API app), at ``/``."""
    use_session_dir(core)
    register(core)
    ui.run_with(
        api,
        title="Warden",
        dark=None,
        storage_secret=storage_secret(core),
        session_middleware_kwargs={"same_site": "lax", "https_only": https},
        show_welcome_message=False,
        favicon="🛡",
    )
