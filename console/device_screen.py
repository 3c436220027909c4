"""One device: its identity, sparklines of its series over a time range (``t`` cycles
15m/1h/6h/24h/7d), latest values, sequence statistics, commands (``c`` sends one; their
states follow live), its findings and its intents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text
from sqlmodel import Session
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Sparkline, Static

from console.base_screen import WardenScreen
from console.command_dialog import CommandDialog, CommandRequest
from console.dialogs import ConfirmDialog
from console.format import SEVERITY_STYLE, STATUS_STYLE, VERDICT_STYLE, ago
from console.text import plain, strip_ansi
from core.models import (
    CommandPublic,
    DevicePublic,
    FindingPublic,
    FindingStatus,
    IntentPublic,
    SeqPublic,
    SeriesWindow,
)
from core.permissions import Permission
from core.services import commands, devices, findings, telemetry
from core.services.intents import intents_for_device

RANGES = (("15m", 15 * 60), ("1h", 3600), ("6h", 6 * 3600), ("24h", 86400), ("7d", 7 * 86400))
POINTS = 240
"""Buckets per chart: wider than any terminal's sparkline, so nothing is lost on screen."""


@dataclass
class DeviceDetail:
    device: DevicePublic
    seq: SeqPublic | None
    windows: list[SeriesWindow]
    latest: dict[str, float]
    """Each metric's newest reading, however old (``telemetry.latest_readings``)."""
    commands: list[CommandPublic]
    findings: list[FindingPublic]
    intents: list[IntentPublic]


class DeviceScreen(WardenScreen[DeviceDetail]):
    MODE_NAME = "devices"
    ENTITIES = ("device", "command", "ota", "finding", "intent", "policy")
    BINDINGS = [
        Binding("t", "range(1)", "Range+"),
        Binding("T", "range(-1)", "Range-", show=False),
        Binding("c", "command", "Command"),
    ]
    HELP = "t / T    next / previous time range\nc        send a command\n"
    DEFAULT_CSS = """
    DeviceScreen #info { padding: 0 1; height: auto; }
    DeviceScreen .chart { height: 1; padding: 0 1; }
    DeviceScreen .chart Label { width: 32; }
    DeviceScreen .chart Sparkline { width: 1fr; }
    DeviceScreen .section { padding: 0 1; height: auto; margin-top: 1; }
    """

    def __init__(self, device_id: str) -> None:
        super().__init__()
        self.device_id = device_id
        self.range_index = 0

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Static("", id="info")
            yield Label("", id="range", classes="section")
            yield VerticalScroll(id="charts")
            yield Static("", id="commands", classes="section")
            yield Static("", id="findings", classes="section")
            yield Static("", id="intents", classes="section")

    def fetch(self, session: Session) -> DeviceDetail:
        device = devices.get_device(session=session, ref=self.device_id)
        now = self.console.core.clock.now()
        since = now - timedelta(seconds=RANGES[self.range_index][1])
        windows = [
            telemetry.query_series(
                session=session,
                device_id=device.id,
                metric=s.metric,
                since=since,
                until=now + timedelta(milliseconds=1),
                points=POINTS,
            )
            for s in telemetry.list_series(session=session, device_id=device.id)
        ]
        latest = {
            reading.metric: reading.value
            for reading in telemetry.latest_readings(session=session, device_id=device.id)
        }
        return DeviceDetail(
            device=device,
            latest=latest,
            seq=devices.get_seq(session=session, device_id=device.id),
            windows=windows,
            commands=commands.list_commands(session=session, device_ref=device.id, limit=8).items,
            findings=findings.list_findings(session=session, device_id=device.id, limit=10).items,
            intents=intents_for_device(session=session, device_id=device.id, limit=10),
        )

    def show(self, data: DeviceDetail) -> None:
        now = self.console.core.clock.now()
        self.query_one("#info", Static).update(_info(data, now))
        ranges = Text("range: ")
        for index, (name, _) in enumerate(RANGES):
            ranges.append(f" {name} ", style="reverse" if index == self.range_index else "dim")
        ranges.append("   t: next range", style="dim")
        self.query_one("#range", Label).update(ranges)
        self._show_charts(data.windows, data.latest)
        self.query_one("#commands", Static).update(_commands(data.commands, now))
        self.query_one("#findings", Static).update(_findings(data.findings, now))
        self.query_one("#intents", Static).update(_intents(data.intents))

    def _show_charts(self, windows: list[SeriesWindow], latest: dict[str, float]) -> None:
        charts = self.query_one("#charts", VerticalScroll)
        charts.styles.height = max(1, min(len(windows), 8))
        if not windows:
            if not charts.query("#no-telemetry"):
                charts.remove_children()
                charts.mount(Label(Text("no telemetry yet", style="dim"), id="no-telemetry"))
            return
        if [c.name for c in charts.children] != [w.metric for w in windows]:
            charts.remove_children()
            charts.mount_all(
                Horizontal(
                    Label(_chart_label(w, latest)),
                    Sparkline(_values(w)),
                    classes="chart",
                    name=w.metric,
                )
                for w in windows
            )
            return
        for row, window in zip(charts.children, windows, strict=True):
            row.query_one(Label).update(_chart_label(window, latest))
            row.query_one(Sparkline).data = _values(window)

    def action_range(self, step: int) -> None:
        self.range_index = (self.range_index + step) % len(RANGES)
        self.reload()

    def action_command(self) -> None:
        if self.permitted(Permission.COMMANDS_SEND, f"send a command to {self.device_id}"):
            self.app.push_screen(CommandDialog(self.device_id), self._send)

    def _send(self, request: CommandRequest | None) -> None:
        if request is None:
            return
        warning = request.spec.confirm
        if warning is None:
            self._queue(request)
            return
        self.app.push_screen(
            ConfirmDialog(f"Send {request.cmd} to {self.device_id}?", Text(warning)),
            lambda yes: self._queue(request) if yes else None,
        )

    def _queue(self, request: CommandRequest) -> None:
        self.act(
            Permission.COMMANDS_SEND,
            f"send {request.cmd} to {self.device_id}",
            lambda session, actor, _now: commands.queue_command(
                session=session,
                device_ref=self.device_id,
                cmd=request.cmd,
                params=request.params,
                actor=actor,
            ),
            f"{request.cmd} queued for {self.device_id}",
        )


def _info(data: DeviceDetail, now: datetime) -> Text:
    d = data.device
    text = Text()
    text.append_text(plain(d.name or d.id, "bold")).append("  ")
    text.append(str(d.status), style=STATUS_STYLE.get(str(d.status), ""))
    text.append(f"  seen {ago(d.last_seen, now)}\n", style="dim")
    text.append("id ").append_text(plain(d.id)).append("  type ").append_text(plain(d.type))
    text.append("  ip ").append_text(plain(d.ip)).append("  mac ").append_text(plain(d.mac))
    text.append("  fw ").append_text(plain(d.firmware))
    if data.seq is not None:
        s = data.seq
        text.append(
            f"\nseq boot {s.boot} last {s.last if s.last is not None else '-'}  "
            f"duplicates {s.duplicates}  gaps {s.gaps}  missing {s.missing}"
        )
    return text


def _commands(rows: list[CommandPublic], now: datetime) -> Text:
    text = Text().append("Commands", style="bold underline")
    if not rows:
        return text.append("\nnone — c sends one", style="dim")
    for c in rows:
        params = " ".join(f"{k}={v}" for k, v in c.params.items())
        text.append(f"\n{ago(c.created_at, now):>8}  ").append(f"{c.cmd:<15}")
        text.append(f" {c.state:<12}", style="green" if c.state == "accepted" else "yellow")
        text.append_text(plain(f" {params} {c.detail or ''}".rstrip()))
    return text


def _findings(rows: list[FindingPublic], now: datetime) -> Text:
    text = Text().append("Findings", style="bold underline")
    if not rows:
        return text.append("\nnone", style="dim")
    for f in rows:
        text.append("\n").append(f"{f.severity:<9}", style=SEVERITY_STYLE.get(f.severity, ""))
        style = "dim" if f.status != FindingStatus.OPEN else ""
        text.append(f"{f.status:<13}{ago(f.last_seen, now):>8}  ", style=style)
        text.append_text(plain(f.summary))
    return text


def _intents(rows: list[IntentPublic]) -> Text:
    text = Text().append("Intents", style="bold underline")
    if not rows:
        return text.append("\nnone", style="dim")
    for i in rows:
        text.append(f"\n#{i.id:<5}{i.status:<10}")
        text.append(
            f"{i.verdict or 'unchecked':<13}", style=VERDICT_STYLE.get(str(i.verdict), "dim")
        )
        text.append_text(plain(i.explanation))
    return text


def _values(window: SeriesWindow) -> list[float]:
    return [p.avg for p in window.points]


def _chart_label(window: SeriesWindow, latest: dict[str, float]) -> Text:
    """The metric's name and newest value (even if older than the range)."""
    value = latest.get(window.metric)
    shown = f"{value:.4g}" if value is not None else "-"
    unit = f" {strip_ansi(window.unit)}" if window.unit else ""
    return Text(strip_ansi(window.metric)[:20], style="bold").append(f" {shown}{unit}")
