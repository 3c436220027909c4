"""The frame every page shares: a header with the gateway's state, the navigation drawer,
the user menu; and ``open_page``, which each page calls first to check the signed-in user.
"""

from __future__ import annotations

from nicegui import app, context, ui

from core.models import UserPublic
from core.services.overview import Overview
from web.ui.context import web
from web.ui.guard import login_url
from web.ui.session import current_user, sign_out
from web.ui.widgets import SEVERITY_COLOURS

NAV = (
    ("/", "Overview", "dashboard"),
    ("/devices", "Devices", "router"),
    ("/findings", "Findings", "report_problem"),
    ("/intents", "Intents", "tune"),
    ("/actions", "Actions", "task_alt"),
    ("/logs", "Logs", "receipt_long"),
    ("/rules", "Rules & playbooks", "rule"),
    ("/admin", "Admin", "admin_panel_settings"),
)
DARK = "dark"


async def open_page(title: str) -> UserPublic | None:
    """Check the browser's user against the database and draw the frame; None (after
    sending the browser to sign in) when nobody valid is signed in."""
    user = await current_user()
    if user is None:
        ui.navigate.to(login_url(context.client.page.path))
        return None
    ui.page_title(f"{title} · Warden")
    dark = ui.dark_mode(app.storage.user.get(DARK))
    drawer = _drawer()
    chips_row = _header(user, dark, drawer)
    _live_status(chips_row)
    ui.label(title).classes("text-h5 q-mt-sm")
    return user


def _header(user: UserPublic, dark: ui.dark_mode, drawer: ui.left_drawer) -> ui.row:
    """The header; returns the row the live status chips go into."""
    with ui.header(elevated=True).classes("items-center q-py-xs q-px-sm gap-2 no-wrap"):
        ui.button(icon="menu", on_click=drawer.toggle).props("flat round dense color=white")
        ui.link("Warden", "/").classes("text-h6 text-white no-underline")
        ui.label(web().core.settings.gateway_name).classes("text-subtitle2 opacity-80 gt-xs")
        chips = ui.row().classes("items-center gap-1 no-wrap overflow-hidden min-w-0")
        ui.space()
        with (
            ui.button(icon="account_circle").props("flat round dense color=white").mark("account"),
            ui.menu(),
        ):
            ui.menu_item(f"{user.name} ({user.role.value})").props("disable")
            ui.menu_item("Dark / light / auto", on_click=lambda: _cycle_dark(dark))
            ui.menu_item("Sign out", on_click=_sign_out).mark("sign-out")
    return chips


def _cycle_dark(dark: ui.dark_mode) -> None:
    following = {None: True, True: False, False: None}[dark.value]
    dark.set_value(following)
    app.storage.user[DARK] = following


def _sign_out() -> None:
    sign_out()
    ui.navigate.to("/login")


def _drawer() -> ui.left_drawer:
    # Quasar opens it on wide screens by itself (show-if-above); value=None would instead
    # ask every browser for its state by JavaScript after each page load.
    with ui.left_drawer(value=False, bordered=True).props(
        "show-if-above width=220 breakpoint=800"
    ) as drawer:
        current = context.client.page.path
        for path, label, icon in NAV:
            active = path == current or (path != "/" and current.startswith(path))
            with (
                ui.link(target=path).classes("no-underline w-full"),
                ui.row().classes(
                    "items-center gap-3 q-px-md q-py-sm rounded-borders w-full"
                    + (" bg-primary text-white" if active else "")
                ),
            ):
                ui.icon(icon)
                ui.label(label)
    return drawer


def _live_status(chips_row: ui.row) -> None:
    """The header's chips and the daemon banner, redrawn on every status the hub emits
    (one read for all browsers)."""
    hub = web().hub

    @ui.refreshable
    def chips(summary: Overview | None) -> None:
        if summary is None:
            return
        daemon = summary.daemon
        colour = "negative" if not daemon.running else "warning" if daemon.dry_run else "positive"
        ui.badge(daemon.label, color=colour).mark("daemon-state")
        if daemon.brokers:
            ui.badge(
                f"brokers {daemon.brokers_up}/{len(daemon.brokers)}", color="blue-grey"
            ).classes("gt-xs")
        for severity, count in summary.findings_by_severity.items():
            if count:  # on a phone the daemon's state is the one chip that fits
                ui.badge(f"{count} {severity}", color=SEVERITY_COLOURS[severity]).classes("gt-xs")

    @ui.refreshable
    def banner(summary: Overview | None) -> None:
        if summary is None:
            return
        daemon = summary.daemon
        if not daemon.running:
            with ui.card().classes("w-full bg-red-1 text-red-10 q-pa-sm").mark("daemon-banner"):
                ui.label(
                    f"The Warden daemon is {daemon.label}: nothing is collected or enforced; "
                    "this shows what the database knows."
                )
        elif daemon.dry_run:
            reasons = daemon.dry_run_reasons or ["the enforcement backends are dry runs"]
            with (
                ui.row()
                .classes(
                    "w-full items-center no-wrap gap-2 bg-amber-2 text-amber-10 q-px-sm "
                    "rounded-borders"
                )
                .mark("dry-run-banner")
            ):
                ui.icon("science", size="xs")
                ui.label("DRY RUN: the kernel is not changed").classes("ellipsis min-w-0")
                ui.space()
                with ui.dialog() as why, ui.card().classes("max-w-lg").mark("dry-run-reasons"):
                    ui.label("Why nothing is enforced").classes("text-h6")
                    for reason in reasons:
                        ui.label(reason).classes("break-words")
                    ui.button("Close", on_click=why.close).props("flat")
                ui.button("Why?", on_click=why.open).props("flat dense no-caps size=sm").mark(
                    "dry-run-why"
                )

    with chips_row:
        chips(hub.last)
    banner(hub.last)

    shown = {"banner": _banner_key(hub.last)}

    def redraw(summary: Overview) -> None:
        chips.refresh(summary)
        key = _banner_key(summary)
        if key != shown["banner"]:  # an open "Why?" stays open while nothing changed
            shown["banner"] = key
            banner.refresh(summary)

    hub.status.subscribe(redraw)


def _banner_key(summary: Overview | None) -> tuple[object, ...] | None:
    if summary is None:
        return None
    daemon = summary.daemon
    return (daemon.running, daemon.label, daemon.dry_run, tuple(daemon.dry_run_reasons))
