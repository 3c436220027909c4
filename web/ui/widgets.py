"""Small pieces every page uses: permission-aware buttons, status chips, time labels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from nicegui import ui

from core.models import UserPublic
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
) -> ui.button:
    """A button the user's role may not use is shown disabled, with the reason as its
    tooltip, and marked ``refused`` (besides ``marker``); the handler behind an enabled one
    checks the role again anyway."""
    button = ui.button(label, on_click=on_click, icon=icon, color=color)
    if flat:
        button.props("flat dense")
    reason = why_not(user, permission)
    markers = [marker] if marker else []
    if reason:
        button.disable()
        button.tooltip(f"Not allowed: {reason}")
        markers.append("refused")
    if markers:
        button.mark(*markers)  # .mark() replaces markers: give them all at once
    return button


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
