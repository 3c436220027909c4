"""How values look in the console: ages, colours for statuses, severities and log classes."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

STATUS_STYLE = {"online": "green", "offline": "red", "unknown": "yellow"}
SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
SEVERITY_SHORT = {"critical": "crit", "high": "high", "medium": "med", "low": "low", "info": "info"}
FINDING_STATUS_STYLE = {"open": "bold", "acknowledged": "dim", "resolved": "green dim"}
LOG_CLASS_STYLE = {
    "wifi": "cyan",
    "auth": "magenta",
    "dhcp": "blue",
    "connectivity": "yellow",
    "system": "white",
    "firewall": "red",
    "generic": "dim",
}
VERDICT_STYLE = {
    "satisfied": "green",
    "degraded": "yellow",
    "violated": "bold red",
    "unverifiable": "dim",
}
ACTION_STATE_STYLE = {
    "proposed": "bold yellow",
    "approved": "cyan",
    "running": "cyan",
    "succeeded": "green",
    "failed": "red",
    "rejected": "dim",
    "skipped": "dim",
}


def ago(when: datetime | None, now: datetime) -> str:
    """``12s``, ``5m``, ``3h``, ``2d`` ago; ``never`` for None; ``now`` in the future."""
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    if seconds < 1:
        return "now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def local(at: datetime) -> str:
    """A moment as a local date and time (the console's time zone)."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def when(at: datetime, now: datetime) -> str:
    """``2026-03-01 14:02:11 (5m ago)``: a local date and its age."""
    return f"{local(at)} ({ago(at, now)})"


def styled(value: str | None, styles: dict[str, str]) -> Text:
    """A known word (a status, a severity) in its colour; these are never untrusted."""
    if value is None:
        return Text("-", style="dim")
    return Text(str(value), style=styles.get(str(value), ""))


def rate(value: float | None) -> str:
    return "- msg/s" if value is None else f"{value:,.1f} msg/s"
