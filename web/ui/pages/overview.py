"""The overview: the fleet, what is wrong, what was asked of the network, and whether
Warden is keeping up, at a glance and live."""

from __future__ import annotations

from nicegui import ui

from core.models import FindingPublic, FindingStatus, IntentPublic
from core.services import findings, intents
from core.services.intents import LIVE
from core.services.overview import Overview
from web.ui.calls import read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.widgets import SEVERITY_COLOURS, STATUS_COLOURS, Ages, intent_verdict

RECENT_FINDINGS = 8


def _recent(session) -> tuple[list[FindingPublic], list[IntentPublic]]:
    open_findings = findings.list_findings(
        session=session, status=FindingStatus.OPEN, limit=RECENT_FINDINGS
    ).items
    live = [i for i in intents.list_intents(session=session, limit=50).items if i.status in LIVE]
    return open_findings, live


class OverviewPage:
    """The fleet, what is wrong, what was asked of the network, and the ingest rate."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    async def build(self) -> None:
        hub, core = self.web.hub, self.web.core
        ages = Ages(core.clock)

        @ui.refreshable
        def counts(summary: Overview | None) -> None:
            if summary is None:
                ui.label("Reading the gateway's state…").classes("text-grey")
                return
            with ui.row().classes("w-full gap-3"):
                with ui.card().classes("min-w-48").mark("fleet"):
                    ui.label("Fleet").classes("text-overline")
                    ui.label(f"{summary.devices} devices").classes("text-h6")
                    with ui.row().classes("gap-1"):
                        for status, count in sorted(summary.devices_by_status.items()):
                            ui.badge(f"{count} {status}", color=STATUS_COLOURS.get(status, "grey"))
                with ui.card().classes("min-w-48").mark("open-findings"):
                    ui.label("Open findings").classes("text-overline")
                    ui.label(f"{summary.open_findings} open").classes("text-h6")
                    with ui.row().classes("gap-1"):
                        for severity, count in summary.findings_by_severity.items():
                            if count:
                                ui.badge(f"{count} {severity}", color=SEVERITY_COLOURS[severity])
                with ui.card().classes("min-w-48").mark("enforcement"):
                    ui.label("Enforcement").classes("text-overline")
                    daemon = summary.daemon
                    if not daemon.running:
                        ui.label("daemon " + daemon.label).classes("text-h6 text-negative")
                    elif daemon.dry_run:
                        ui.label("DRY RUN").classes("text-h6 text-warning")
                        ui.label("; ".join(daemon.dry_run_reasons) or "backends are dry runs")
                    else:
                        ui.label("kernel").classes("text-h6 text-positive")
                    for broker in daemon.brokers:
                        ui.label(
                            f"{broker.url}: {'connected' if broker.connected else 'DOWN'}"
                        ).classes("text-caption")
                with ui.card().classes("min-w-48").mark("ingest"):
                    ui.label("Ingest").classes("text-overline")
                    rate = "—" if hub.rate is None else f"{hub.rate:.1f} msg/s"
                    ui.label(rate).classes("text-h6")
                    ui.label(
                        f"queue {summary.daemon.queue_depth + summary.daemon.log_queue_depth}"
                    ).classes("text-caption")

        def sparkline_series() -> list[dict]:
            samples = list(hub.history)
            return [
                {
                    "name": "msg/s",
                    "type": "line",
                    "showSymbol": False,
                    "data": [[s.at_ms, round(s.ingest_rate, 2)] for s in samples],
                },
                {
                    "name": "queue",
                    "type": "line",
                    "showSymbol": False,
                    "yAxisIndex": 1,
                    "data": [[s.at_ms, s.queue_depth] for s in samples],
                },
            ]

        def sparkline() -> ui.echart:
            return ui.echart(
                {
                    "grid": {"left": 40, "right": 40, "top": 24, "bottom": 20},
                    "legend": {"data": ["msg/s", "queue"], "top": 0},
                    "tooltip": {"trigger": "axis"},
                    "xAxis": {"type": "time", "show": False},
                    "yAxis": [{"type": "value"}, {"type": "value"}],
                    "series": sparkline_series(),
                }
            ).classes("w-full h-40")

        @ui.refreshable
        async def lists() -> None:
            open_findings, live = await read(_recent)
            with ui.row().classes("w-full gap-3 items-start"):
                with ui.card().classes("flex-1 min-w-72").mark("recent-findings"):
                    ui.label("Newest open findings").classes("text-overline")
                    if not open_findings:
                        ui.label("Nothing open.").classes("text-grey")
                    for finding in open_findings:
                        with ui.row().classes("items-center gap-2 no-wrap w-full"):
                            ui.badge(finding.severity, color=SEVERITY_COLOURS[finding.severity])
                            ui.link(finding.summary, f"/findings?open={finding.id}").classes(
                                "ellipsis"
                            )
                            ui.space()
                            ages.label(finding.last_seen).classes("text-caption")
                with ui.card().classes("flex-1 min-w-72").mark("live-intents"):
                    ui.label("Intents").classes("text-overline")
                    if not live:
                        ui.label("No live intents. Try the Intents page.").classes("text-grey")
                    for intent in live:
                        with ui.row().classes("items-center gap-2 no-wrap w-full"):
                            intent_verdict(intent)
                            ui.label(intent.text).classes("ellipsis")
                            ui.space()
                            if intent.satisfaction is not None and intent.dry_run is None:
                                ui.label(f"{intent.satisfaction:.0%}").classes("text-caption")

        counts(hub.last)
        chart = sparkline()
        await lists()
        ages.start()

        def on_status(summary: Overview) -> None:
            counts.refresh(summary)
            chart.options["series"] = sparkline_series()  # in place: no new element per tick
            chart.update()

        async def on_change(kinds: frozenset[str]) -> None:
            if concerns(kinds, "finding.", "intent.", "policy."):
                lists.refresh()

        hub.status.subscribe(on_status)
        hub.changed.subscribe(on_change)


def register(web: WebContext) -> None:
    @ui.page("/")
    async def overview_page() -> None:
        if await open_page("Overview") is not None:
            await OverviewPage(web).build()
