"""The pieces every screen shares: the status header and the filter bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Input, Static

from console.format import SEVERITY_SHORT, SEVERITY_STYLE, rate
from console.text import strip_ansi

if TYPE_CHECKING:
    from core.services.overview import Overview

SCREENS = ("devices", "findings", "intents", "logs", "actions", "rules")
"""The top screens, in the order of their number keys."""


def status_line(overview: Overview | None, ingest: float | None, user: str) -> Text:
    """Gateway, daemon, brokers, ingest rate, open findings by severity, who is logged in."""
    line = Text(no_wrap=False, overflow="fold")
    if overview is None:
        return line.append("loading…", style="dim")
    daemon = overview.daemon
    line.append(strip_ansi(overview.gateway), style="bold")
    up = "green" if daemon.running and not daemon.dry_run else "yellow"
    line.append("  daemon: ").append(daemon.label, style=up if daemon.running else "bold red")
    line.append(f"  brokers {daemon.brokers_up}/{len(daemon.brokers)}")
    line.append(f"  {rate(ingest)}  ")
    open_ = [(s, n) for s, n in overview.findings_by_severity.items() if n]
    if not open_:
        line.append("no open findings", style="green")
    for severity, count in open_:
        line.append(f"{count} {SEVERITY_SHORT.get(severity, severity)}", SEVERITY_STYLE[severity])
        line.append(" ")
    line.append(f"  {user}", style="dim")
    return line


def nav_line(current: str | None, overview: Overview | None) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    for number, name in enumerate(SCREENS, start=1):
        style = "reverse bold" if name == current else "dim"
        line.append(f" {number} {name} ", style=style)
    if overview is not None and not overview.daemon.running:
        line.append(" (database view)", style="yellow")
    return line


class StatusHeader(Static):
    """Two lines at the top: the gateway's state and the screens' number keys."""

    DEFAULT_CSS = """
    StatusHeader {
        dock: top;
        height: auto;
        max-height: 3;
        background: $panel;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._show, init=True)

    def _show(self, status: Any) -> None:
        overview, ingest = status if status is not None else (None, None)
        user = getattr(self.app, "user_label", "")
        current = getattr(self.screen, "MODE_NAME", None)
        self.update(
            Text("\n").join([status_line(overview, ingest, user), nav_line(current, overview)])
        )


class FilterBar(Input):
    """``/``: a filter for the table above it; enter keeps it, escape clears it. It sits
    in the flow under the table (docked, the footer would cover it) and has no border (a
    focused ``Input``'s border would leave no room for the text in one line)."""

    DEFAULT_CSS = """
    FilterBar, FilterBar:focus {
        height: 1;
        border: none;
        padding: 0 1;
        display: none;
        background: $boost;
    }
    FilterBar.-shown { display: block; }
    """
    BINDINGS = [Binding("escape", "clear", "Clear filter")]

    def __init__(self) -> None:
        super().__init__(placeholder="filter…", id="filter")

    def open(self) -> None:
        self.add_class("-shown")
        self.focus()

    def action_clear(self) -> None:
        self.value = ""
        self.remove_class("-shown")
        self.screen.focus_next()

    async def action_submit(self) -> None:
        if not self.value:
            self.remove_class("-shown")
        self.screen.focus_next()
