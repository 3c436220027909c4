"""Small pieces every page uses: permission-aware buttons, status chips, time labels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from nicegui import ui

from core.clock import Clock
from core.models import IntentPublic, PolicyPublic, PolicyStatus, UserPublic
from core.permissions import PERMISSIONS, Permission, allowed

SEVERITY_COLOURS = {
    "critical": "red-10",
    "high": "red",
    "medium": "orange",
    "low": "amber-7",
    "info": "blue-grey",
}
STATUS_COLOURS = {"online": "positive", "offline": "negative", "unknown": "grey"}
VERDICT_COLOURS = {
    "satisfied": "positive",
    "degraded": "warning",
    "violated": "negative",
    "unverifiable": "grey",
    "unchecked": "grey",
}

INTENT_STATUS_COLOURS = {
    "planned": "blue-grey",
    "applying": "info",
    "scheduled": "purple",
    "active": "positive",
    "failed": "negative",
    "revoked": "grey",
    "expired": "grey",
    "draft": "grey",
}
DRY_RUN_COLOUR = "amber-9"
"""A dry run is never green: nothing of it reached the kernel."""


def intent_status(intent: IntentPublic) -> ui.badge:
    """The intent's status as core words it (``planned (dry run)``), amber in a dry run."""
    colour = (
        DRY_RUN_COLOUR
        if intent.dry_run is not None
        else INTENT_STATUS_COLOURS.get(intent.status.value, "grey")
    )
    return ui.badge(intent.status_label, color=colour).mark("intent-status")


def intent_verdict(intent: IntentPublic) -> ui.badge:
    """The verdict (``unverifiable (dry run)`` in a dry run; ``unchecked`` before a check)."""
    label = intent.verdict_label or "unchecked"
    colour = "grey" if intent.dry_run is not None else VERDICT_COLOURS.get(label, "grey")
    return chip(label, colour).mark("verdict")


def policy_status(policy: PolicyPublic) -> ui.badge:
    """A policy's status (``not applied — dry run: <reason>`` in a dry run)."""
    dry = policy.status == PolicyStatus.DRY_RUN
    badge = ui.badge(policy.status_label, color=DRY_RUN_COLOUR if dry else "grey")
    return badge.classes("whitespace-normal text-left").mark("policy-status")


def why_not(user: UserPublic, permission: Permission) -> str | None:
    """None when the user may; else the reason a disabled control shows."""
    if allowed(user.role, permission):
        return None
    return f"needs the {PERMISSIONS[permission].value} role (you are {user.role.value})"


def guarded_button(
    label: str,
    *,
    user: UserPublic,
    permission: Permission,
    on_click: Callable[[], Awaitable[Any] | Any],
    icon: str | None = None,
    color: str | None = "primary",
    flat: bool = False,
    marker: str | None = None,
    not_now: str | None = None,
) -> ui.button:
    """A button the user's role may not use is shown disabled, with the reason as its
    tooltip, and marked ``refused`` (besides ``marker``); the handler behind an enabled one
    checks the role again anyway. ``not_now`` disables it with that reason when the role
    may but the state does not allow it (acknowledging a resolved finding)."""
    button = ui.button(label, on_click=on_click, icon=icon, color=color)
    if flat:
        button.props("flat dense")
    reason = why_not(user, permission)
    markers = [marker] if marker else []
    if reason:
        button.disable()
        button.tooltip(f"Not allowed: {reason}")
        markers.append("refused")
    elif not_now:
        button.disable()
        button.tooltip(not_now)
    if markers:
        button.mark(*markers)  # .mark() replaces markers: give them all at once
    return button


def show_key_once(device_id: str, plaintext: str, *, host: ui.element | None = None) -> None:
    """A device's new API key in a dialog with a copy button; closing it deletes the
    dialog, so the key leaves the page for good (only its hash and prefix are stored)."""
    with (
        host or nullcontext(),
        ui.dialog().props("persistent") as dialog,
        ui.card().classes("w-full max-w-lg").mark("new-key"),
    ):
        ui.label(f"API key for {device_id}").classes("text-h6")
        ui.label("Copy it now: it is shown only this once and cannot be read again.")
        ui.label(plaintext).classes("font-mono break-all q-pa-sm rounded-borders").mark(
            "api-key new-key-value"
        )

        def copy() -> None:
            ui.clipboard.write(plaintext)
            ui.notify("Copied to the clipboard")

        def done() -> None:
            dialog.close()
            dialog.delete()

        with ui.row().classes("w-full justify-end"):
            ui.button("Copy", icon="content_copy", on_click=copy).mark("copy-key")
            ui.button("Done", on_click=done).props("flat").mark("key-done")
    dialog.open()


def chip(text: str, colour: str) -> ui.badge:
    return ui.badge(text, color=colour).props("outline" if colour == "grey" else "")


def when(moment: datetime | None) -> str:
    """A timestamp an operator reads at a glance: local time, seconds precision."""
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


TICK_S = 1.0


class Ages:
    """Relative times ("12 s ago") that keep counting on their own: one ``ui.timer`` per
    page reads the clock each second and rewrites only the labels whose text changed (no
    database read, nothing sent for a label that still says "3 min ago"). Build it while
    the page is built and ``start`` it last (a timer waits for the browser's connection,
    which makes NiceGUI send the page as built so far); the timer ends with the page.
    Labels drawn by later redraws may be added, and deleted ones are forgotten."""

    def __init__(self, clock: Clock, *, also: Callable[[], Any] | None = None) -> None:
        self._clock = clock
        self._shown: list[tuple[ui.label, datetime | None, str]] = []
        self._also = also

    def start(self) -> ui.timer:
        return ui.timer(TICK_S, self.tick)

    def label(self, moment: datetime | None, template: str = "{}") -> ui.label:
        """A label showing ``template`` with the age of ``moment`` in it, kept current."""
        shown = ui.label(template.format(ago(moment, self._clock.now())))
        self._shown.append((shown, moment, template))
        return shown

    def tick(self) -> None:
        now = self._clock.now()
        self._shown = [entry for entry in self._shown if not entry[0].is_deleted]
        for label, moment, template in self._shown:
            text = template.format(ago(moment, now))
            if label.text != text:
                label.set_text(text)
        if self._also is not None:
            self._also()
