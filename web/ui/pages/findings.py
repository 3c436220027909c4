"""The findings page: everything that is wrong, the most severe first (core's order: open
before acknowledged before resolved, then severity, then recency), filtered by severity,
status, rule and device (kept in the query string, so ``/findings?rule=X`` and ``?open=ID``
are links); one finding open beside the list (above it on a phone) with its explanation,
evidence and notes; and the maintenance
windows that keep findings quiet. Live: a change by anyone, anywhere, redraws what it
concerns."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from nicegui import ui

from core.errors import NotFound
from core.models import FindingPublic, FindingStatus, UserPublic
from core.models.finding import SEVERITIES
from core.permissions import Permission
from core.services import actions, finding_explain, findings
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.pages.finding_detail import (
    DetailActions,
    device_url,
    draw_detail,
    rule_url,
    serial_method,
    status_chip,
)
from web.ui.pages.maintenance_section import MaintenanceSection
from web.ui.session import actor_for
from web.ui.widgets import SEVERITY_COLOURS, Ages, when

LIMIT = 200
FILTERS = ("severity", "status", "rule", "device")


def _filters(request: Request) -> dict[str, str]:
    """The filters from the query string; values that are not a severity or a status are
    dropped rather than refused (an old bookmark still opens the page)."""
    query = request.query_params
    chosen = {name: query.get(name, "").strip()[:200] for name in FILTERS}
    if chosen["severity"] not in SEVERITIES:
        chosen["severity"] = ""
    if chosen["status"] not in {s.value for s in FindingStatus}:
        chosen["status"] = ""
    return chosen


def _opened(request: Request) -> int | None:
    raw = request.query_params.get("open", "")
    return int(raw) if raw.isdecimal() and len(raw) < 12 else None


def page_url(filters: dict[str, str], opened: int | None) -> str:
    query = {k: v for k, v in filters.items() if v}
    if opened is not None:
        query["open"] = str(opened)
    return "/findings" + (f"?{urlencode(query)}" if query else "")


def _finding_row(finding: FindingPublic, ages: Ages, on_open: Any) -> None:
    with (
        ui.card()
        .classes("w-full q-pa-sm cursor-pointer")
        .props("flat bordered")
        .mark(f"finding-{finding.id}")
        .on("click", lambda _: on_open(finding.id))
    ):
        with ui.row().classes("items-center gap-2 w-full"):
            ui.badge(finding.severity, color=SEVERITY_COLOURS.get(finding.severity, "grey"))
            ui.label(finding.summary).classes("flex-1 min-w-40 break-words")
            status_chip(finding)
        with ui.row().classes("items-center gap-x-3 gap-y-0 text-caption w-full"):
            ui.link(finding.rule_id, rule_url(finding.rule_id)).classes("break-all")
            if finding.device_id:
                ui.link(finding.device_id, device_url(finding.device_id)).classes("break-all")
            ui.label(f"{finding.count} firings" if finding.count != 1 else "1 firing")
            ages.label(finding.last_seen, "last seen {}").tooltip(when(finding.last_seen))


class FindingsPage:
    """The filters, the list, the open finding's detail and the maintenance card."""

    def __init__(self, web: WebContext, user: UserPublic, request: Request) -> None:
        self.web, self.core, self.user = web, web.core, user
        self.ages = Ages(self.core.clock)
        self.filters = _filters(request)
        self.open: int | None = _opened(request)
        self.note = ""
        """A half-typed note, kept across live redraws of the detail."""
        self.redraw_list = serial_method(lambda: self.finding_list)
        self.redraw_detail = serial_method(lambda: self.detail)
        self.maintenance = MaintenanceSection(self.core, user)

    async def build(self) -> None:
        self._filter_row()
        # The open finding comes first: above the list on a phone, beside it (on the
        # right, ``reverse``) on a wide screen.
        with ui.row().classes("w-full items-start gap-4 reverse").mark("findings-layout"):
            with ui.column().classes("flex-1 min-w-72 gap-2").mark("detail-column") as shown:
                await self.detail()
            with ui.column().classes("flex-1 min-w-72 gap-2"):
                await self.finding_list()
        self.detail_column = shown
        await self.maintenance.build()
        self.ages.start()
        self.web.hub.changed.subscribe(self.on_change)

    def _filter_row(self) -> None:
        filters = self.filters
        with ui.row().classes("items-end gap-2 w-full").mark("filters"):
            ui.select(
                {"": "any severity", **{s: s for s in reversed(SEVERITIES)}},
                label="Severity",
                value=filters["severity"],
                on_change=lambda e: self.set_filter("severity", e.value),
            ).classes("min-w-36").mark("filter-severity")
            ui.select(
                {"": "any status", **{s.value: s.value for s in FindingStatus}},
                label="Status",
                value=filters["status"],
                on_change=lambda e: self.set_filter("status", e.value),
            ).classes("min-w-36").mark("filter-status")
            ui.input(
                "Rule", value=filters["rule"], on_change=lambda e: self.set_filter("rule", e.value)
            ).props("clearable debounce=400").classes("min-w-36").mark("filter-rule")
            ui.input(
                "Device",
                value=filters["device"],
                on_change=lambda e: self.set_filter("device", e.value),
            ).props("clearable debounce=400").classes("min-w-36").mark("filter-device")

    def show_url(self) -> None:
        ui.navigate.history.replace(page_url(self.filters, self.open))

    @ui.refreshable_method
    async def finding_list(self) -> None:
        chosen = dict(self.filters)
        page = await read(
            lambda session: findings.list_findings(
                session=session,
                status=FindingStatus(chosen["status"]) if chosen["status"] else None,
                severity=chosen["severity"] or None,
                rule_id=chosen["rule"] or None,
                device_id=chosen["device"] or None,
                limit=LIMIT,
            )
        )
        with ui.column().classes("w-full gap-2").mark("finding-list"):
            if not page.items:
                ui.label("No findings match.").classes("text-grey").mark("no-findings")
            for finding in page.items:
                _finding_row(finding, self.ages, self.open_finding)
            if page.more:
                ui.label(f"Showing the first {LIMIT}; narrow the filters.").classes(
                    "text-caption text-grey"
                )

    @ui.refreshable_method
    async def detail(self) -> None:
        finding_id = self.open
        if finding_id is None:
            ui.label("Select a finding to see its evidence, details and notes.").classes(
                "text-grey"
            )
            return
        reader = actor_for(self.user)
        try:
            explained, related = await read(
                lambda session: (
                    finding_explain.explain(session=session, finding_id=finding_id),
                    actions.list_actions(
                        session=session, reader=reader, finding_id=finding_id, limit=20
                    ).items,
                )
            )
        except NotFound:
            ui.label(f"There is no finding {finding_id}.").classes("text-grey")
            return
        draw_detail(
            explained,
            related,
            user=self.user,
            ages=self.ages,
            note_draft=self.note,
            on_note=self.keep_note,
            actions=DetailActions(
                acknowledge=self.acknowledge,
                resolve=self.resolve,
                add_note=self.add_note,
                close=self.close,
            ),
        )

    def keep_note(self, text: str) -> None:
        self.note = text

    async def open_finding(self, finding_id: int) -> None:
        if self.open != finding_id:
            self.note = ""
        self.open = finding_id
        self.show_url()
        await self.redraw_detail()
        ui.run_javascript(
            f"getHtmlElement({self.detail_column.id}).scrollIntoView({{block: 'nearest'}})"
        )

    async def close(self) -> None:
        self.open = None
        self.show_url()
        await self.redraw_detail()

    async def set_filter(self, name: str, value: str | None) -> None:
        self.filters[name] = (value or "").strip()
        self.show_url()
        await self.redraw_list()

    async def change_finding(self, verb: str, change: Any) -> bool:
        finding_id, clock = self.open, self.core.clock
        if finding_id is None:
            return False
        done = await act(
            Permission.FINDINGS_WRITE,
            lambda session, actor: change(
                session=session, finding_id=finding_id, actor=actor, now=clock.now()
            ),
            done=f"Finding {finding_id} {verb}.",
        )
        if done is None:
            return False
        await self.redraw_list()
        await self.redraw_detail()
        return True

    async def acknowledge(self) -> None:
        await self.change_finding("acknowledged", findings.acknowledge)

    async def resolve(self) -> None:
        await self.change_finding("resolved", findings.resolve)

    async def add_note(self) -> None:
        text = self.note.strip()
        if not text:
            ui.notify("Write the note first.", type="warning")
            return

        def note(**kwargs: Any) -> FindingPublic:
            return findings.add_note(text=text, **kwargs)

        self.note = ""
        if not await self.change_finding("noted", note):
            self.note = text

    async def on_change(self, kinds: frozenset[str]) -> None:
        if concerns(kinds, "finding."):
            await self.redraw_list()
        if concerns(kinds, "finding.", "action."):
            await self.redraw_detail()
        if concerns(kinds, "maintenance."):
            await self.maintenance.redraw()


def register(web: WebContext) -> None:
    @ui.page("/findings")
    async def findings_page(request: Request) -> None:
        user = await open_page("Findings")
        if user is not None:
            await FindingsPage(web, user, request).build()
