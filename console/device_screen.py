"""One device: its identity, a chart of each series (``console.metric_plot``) over the
window that holds its data or a fixed range (``t`` cycles fit/15 min/1 h/6 h/24 h/7 d/30 d),
with the unit and newest value in its title; sequence statistics, commands (``c`` sends
one; their states follow live), its findings and its intents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from sqlmodel import Session
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from console.base_screen import WardenScreen
from console.command_dialog import CommandDialog, CommandRequest
from console.dialogs import ConfirmDialog
from console.format import SEVERITY_STYLE, STATUS_STYLE, VERDICT_STYLE, ago
from console.metric_plot import MetricPlot, age_label
from console.text import plain
from core.clock import to_ms
from core.models import (
    CommandPublic,
    DevicePublic,
    FindingPublic,
    FindingStatus,
    IntentPublic,
    SeqPublic,
)
from core.permissions import Permission
from core.services import commands, devices, findings, telemetry
from core.services.charts import FIT, WINDOWS, ChartSeries, ChartWindow, chart_series, chart_window
from core.services.intents import intents_for_device

RANGES = (FIT, *WINDOWS)
"""The windows ``t`` cycles through: the one fitted to the data first (the default)."""
POINTS = 200
"""Buckets per chart: about two per column of a wide terminal (plotext draws half blocks)."""


@dataclass
class DeviceDetail:
    device: DevicePublic
    seq: SeqPublic | None
    window: ChartWindow
    series: list[ChartSeries]
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
    DeviceScreen #charts { height: auto; padding: 0 1; }
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
            yield Vertical(id="charts")
            yield Static("", id="commands", classes="section")
            yield Static("", id="findings", classes="section")
            yield Static("", id="intents", classes="section")

    def fetch(self, session: Session) -> DeviceDetail:
        device = devices.get_device(session=session, ref=self.device_id)
        now = self.console.core.clock.now()
        window = chart_window(
            session=session, device_id=device.id, name=RANGES[self.range_index], now=now
        )
        latest = {
            reading.metric: reading.value
            for reading in telemetry.latest_readings(session=session, device_id=device.id)
        }
        return DeviceDetail(
            device=device,
            latest=latest,
            seq=devices.get_seq(session=session, device_id=device.id),
            window=window,
            series=chart_series(session=session, device_id=device.id, window=window, points=POINTS),
            commands=commands.list_commands(session=session, device_ref=device.id, limit=8).items,
            findings=findings.list_findings(session=session, device_id=device.id, limit=10).items,
            intents=intents_for_device(session=session, device_id=device.id, limit=10),
        )

    def show(self, data: DeviceDetail) -> None:
        now = self.console.core.clock.now()
        self.query_one("#info", Static).update(_info(data, now))
        ranges = Text("range: ")
        for index, name in enumerate(RANGES):
            shown = name
            if index == self.range_index and data.window.fitted:
                # how much the fitted window spans: "fit 2.5m"
                span = to_ms(data.window.until) - to_ms(data.window.since)
                shown = f"{name} {age_label(span, 0).lstrip('-')}"
            ranges.append(f" {shown} ", style="reverse" if index == self.range_index else "dim")
        ranges.append("   t: next range", style="dim")
        self.query_one("#range", Label).update(ranges)
        self._show_charts(data, now)
        self.query_one("#commands", Static).update(_commands(data.commands, now))
        self.query_one("#findings", Static).update(_findings(data.findings, now))
        self.query_one("#intents", Static).update(_intents(data.intents))

    def _show_charts(self, data: DeviceDetail, now: datetime) -> None:
        """One chart per series, rebuilt only when the set of series changed."""
        charts = self.query_one("#charts", Vertical)
        if not data.series:
            if not charts.query("#no-telemetry"):
                charts.remove_children()
                charts.mount(Label(Text("no telemetry yet", style="dim"), id="no-telemetry"))
            return
        metrics = [series.metric for series in data.series]
        plots = list(charts.query(MetricPlot))
        if [plot.metric for plot in plots] != metrics:
            charts.remove_children()
            plots = [MetricPlot(metric) for metric in metrics]
            charts.mount_all(plots)
        for plot, series in zip(plots, data.series, strict=True):
            plot.draw(series, data.window, data.latest.get(series.metric), now)

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
