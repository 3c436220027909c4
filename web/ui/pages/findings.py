"""The findings page: everything that is wrong, the most severe first (core's order: open
before acknowledged before resolved, then severity, then recency), filtered by severity,
status, rule and device (kept in the query string, so ``/findings?rule=X`` and ``?open=ID``
are links); one finding open beside the list (above it on a phone) with its explanation,
evidence and notes; and the maintenance
windows that keep findings quiet. Live: a change by anyone, anywhere, redraws what it
concerns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from nicegui import ui

from core.errors import NotFound
from core.models import FindingPublic, FindingStatus, MaintenancePublic, UserPublic
from core.models.finding import SEVERITIES
from core.permissions import Permission
from core.services import actions, finding_explain, findings, maintenance
from web.ui.calls import act, read
from web.ui.context import web
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.pages.finding_detail import (
    DetailActions,
    device_url,
    draw_detail,
    rule_url,
    serial,
    status_chip,
)
from web.ui.session import actor_for
from web.ui.widgets import SEVERITY_COLOURS, Ages, guarded_button, when

LIMIT = 200
FILTERS = ("severity", "status", "rule", "device")
TARGET_KINDS = ("device", "type", "tag", "location", "glob", "all")
TIME_FORMAT = "%Y-%m-%d %H:%M"
REPEATS = {"": "once", "day": "every day", "week": "every week"}


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


def parse_moment(text: str, what: str) -> datetime:
    """A local ``YYYY-MM-DD HH:MM`` as an aware datetime (``ValueError`` with a message)."""
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).astimezone()
    except ValueError:
        raise ValueError(f"{what}: write it as YYYY-MM-DD HH:MM") from None


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


def _window_text(window: MaintenancePublic, now: datetime) -> tuple[str, str]:
    target = ", ".join(f"{k} {v}" for k, v in window.selector.items() if k != "all")
    span = f"{when(window.starts_at)} → {when(window.ends_at)}"
    if window.every:
        span += f", every {window.every}"
        if window.repeat_until:
            span += f" until {when(window.repeat_until)}"
    if window.ended_early_at is not None:
        state = f"ended early {when(window.ended_early_at)}"
    elif maintenance.occurrence_at(window, now) is not None:
        state = "active now"
    elif maintenance.next_occurrence(window, now) is not None:
        state = "upcoming"
    else:
        state = "over"
    return f"{target or 'all devices'} · {span}", state


def register() -> None:
    @ui.page("/findings")
    async def findings_page(request: Request) -> None:
        user = await open_page("Findings")
        if user is None:
            return
        core = web().core
        ages = Ages(core.clock)
        filters = _filters(request)
        state: dict[str, Any] = {"open": _opened(request)}
        draft = {"note": ""}

        def show_url() -> None:
            ui.navigate.history.replace(page_url(filters, state["open"]))

        @ui.refreshable
        async def finding_list() -> None:
            chosen = dict(filters)
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
            found = page.items
            with ui.column().classes("w-full gap-2").mark("finding-list"):
                if not found:
                    ui.label("No findings match.").classes("text-grey").mark("no-findings")
                for finding in found:
                    _finding_row(finding, ages, open_finding)
                if page.more:
                    ui.label(f"Showing the first {LIMIT}; narrow the filters.").classes(
                        "text-caption text-grey"
                    )

        @ui.refreshable
        async def detail() -> None:
            finding_id = state["open"]
            if finding_id is None:
                ui.label("Select a finding to see its evidence, details and notes.").classes(
                    "text-grey"
                )
                return
            reader = actor_for(user)
            try:
                explained, related = await read(
                    lambda session: (
                        finding_explain.explain(session=session, finding_id=finding_id),
                        actions.list_actions(
                            session=session,
                            reader=reader,
                            finding_id=finding_id,
                            limit=20,
                        ).items,
                    )
                )
            except NotFound:
                ui.label(f"There is no finding {finding_id}.").classes("text-grey")
                return
            draw_detail(
                explained,
                related,
                user=user,
                ages=ages,
                draft=draft,
                actions=DetailActions(
                    acknowledge=acknowledge, resolve=resolve, add_note=add_note, close=close
                ),
            )

        redraw_list, redraw_detail = serial(finding_list), serial(detail)

        async def open_finding(finding_id: int) -> None:
            if state["open"] != finding_id:
                draft["note"] = ""
            state["open"] = finding_id
            show_url()
            await redraw_detail()
            ui.run_javascript(f"getHtmlElement({shown.id}).scrollIntoView({{block: 'nearest'}})")

        async def close() -> None:
            state["open"] = None
            show_url()
            await redraw_detail()

        async def set_filter(name: str, value: str | None) -> None:
            filters[name] = (value or "").strip()
            show_url()
            await redraw_list()

        async def change_finding(verb: str, change: Any) -> bool:
            finding_id = state["open"]
            if finding_id is None:
                return False
            done = await act(
                Permission.FINDINGS_WRITE,
                lambda session, actor: change(
                    session=session, finding_id=finding_id, actor=actor, now=core.clock.now()
                ),
                done=f"Finding {finding_id} {verb}.",
            )
            if done is None:
                return False
            await redraw_list()
            await redraw_detail()
            return True

        async def acknowledge() -> None:
            await change_finding("acknowledged", findings.acknowledge)

        async def resolve() -> None:
            await change_finding("resolved", findings.resolve)

        async def add_note() -> None:
            text = draft["note"].strip()
            if not text:
                ui.notify("Write the note first.", type="warning")
                return

            def note(**kwargs: Any) -> FindingPublic:
                return findings.add_note(text=text, **kwargs)

            draft["note"] = ""
            if not await change_finding("noted", note):
                draft["note"] = text

        with ui.row().classes("items-end gap-2 w-full").mark("filters"):
            ui.select(
                {"": "any severity", **{s: s for s in reversed(SEVERITIES)}},
                label="Severity",
                value=filters["severity"],
                on_change=lambda e: set_filter("severity", e.value),
            ).classes("min-w-36").mark("filter-severity")
            ui.select(
                {"": "any status", **{s.value: s.value for s in FindingStatus}},
                label="Status",
                value=filters["status"],
                on_change=lambda e: set_filter("status", e.value),
            ).classes("min-w-36").mark("filter-status")
            ui.input(
                "Rule", value=filters["rule"], on_change=lambda e: set_filter("rule", e.value)
            ).props("clearable debounce=400").classes("min-w-36").mark("filter-rule")
            ui.input(
                "Device", value=filters["device"], on_change=lambda e: set_filter("device", e.value)
            ).props("clearable debounce=400").classes("min-w-36").mark("filter-device")

        # The open finding comes first: above the list on a phone, beside it (on the
        # right, ``reverse``) on a wide screen.
        with ui.row().classes("w-full items-start gap-4 reverse").mark("findings-layout"):
            with ui.column().classes("flex-1 min-w-72 gap-2").mark("detail-column") as shown:
                await detail()
            with ui.column().classes("flex-1 min-w-72 gap-2"):
                await finding_list()

        redraw_windows = await _maintenance_section(user)
        ages.start()

        async def on_change(kinds: frozenset[str]) -> None:
            if concerns(kinds, "finding."):
                await redraw_list()
            if concerns(kinds, "finding.", "action."):
                await redraw_detail()
            if concerns(kinds, "maintenance."):
                await redraw_windows()

        web().hub.changed.subscribe(on_change)


async def _maintenance_section(user: UserPublic) -> Callable[[], Awaitable[None]]:
    """The maintenance windows card; returns what redraws its list."""
    core = web().core
    shown = {"past": False}

    @ui.refreshable
    async def window_list() -> None:
        now = core.clock.now()
        rows = await read(
            lambda session: (
                maintenance.list_windows(session=session, now=now, include_past=shown["past"]).items
            )
        )
        with ui.column().classes("w-full gap-1").mark("window-list"):
            if not rows:
                ui.label("No maintenance windows now or to come.").classes("text-grey")
            for window in rows:
                span, window_state = _window_text(window, now)
                with ui.row().classes("items-center gap-2 w-full").mark(f"window-{window.id}"):
                    colour = "warning" if window_state == "active now" else "grey"
                    ui.badge(window_state, color=colour)
                    with ui.column().classes("gap-0 flex-1 min-w-48"):
                        ui.label(window.reason).classes("break-words")
                        ui.label(f"{span} · by {window.created_by}").classes(
                            "text-caption text-grey break-all"
                        )
                    if window_state in ("active now", "upcoming"):
                        guarded_button(
                            "End now",
                            marker=f"end-window-{window.id}",
                            user=user,
                            permission=Permission.MAINTENANCE_WRITE,
                            on_click=lambda w=window.id: end_window(w),
                            color="warning",
                        )

    redraw = serial(window_list)

    async def show_past(event: Any) -> None:
        shown["past"] = bool(event.value)
        await redraw()

    async def end_window(window_id: int) -> None:
        done = await act(
            Permission.MAINTENANCE_WRITE,
            lambda session, actor: maintenance.end_window(
                session=session, window_id=window_id, actor=actor, now=core.clock.now()
            ),
            done=f"Maintenance window {window_id} ended.",
        )
        if done is not None:
            await redraw()

    async def add_window() -> None:
        error.set_text("")
        try:
            selector = _selector(kind.value or "", value.value or "")
            starts_at = parse_moment(start.value or "", "Start")
            length = int(minutes.value or 0)
            if length <= 0:
                raise ValueError("Minutes: at least one")
            repeat = (until.value or "").strip()
            repeat_until = parse_moment(repeat, "Repeat until") if repeat else None
        except ValueError as invalid:
            error.set_text(str(invalid))
            return
        done = await act(
            Permission.MAINTENANCE_WRITE,
            lambda session, actor: maintenance.add_window(
                session=session,
                reason=reason.value or "",
                selector=selector,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=length),
                every=every.value or None,
                repeat_until=repeat_until,
                actor=actor,
            ),
            done="Maintenance window added.",
        )
        if done is not None:
            for field in (value, reason, until):
                field.set_value("")
            await redraw()

    with ui.card().classes("w-full q-pa-md q-mt-md").props("flat bordered").mark("maintenance"):
        with ui.row().classes("items-center w-full"):
            ui.label("Maintenance windows").classes("text-h6")
            ui.space()
            ui.switch("Show past", on_change=show_past).mark("show-past")
        ui.label(
            "Findings for the devices a window covers are recorded as suppressed while it is "
            "active: no notifications, no playbook actions."
        ).classes("text-caption text-grey")
        await window_list()
        with ui.expansion("Add a window", icon="add").classes("w-full").mark("add-window"):
            with ui.row().classes("items-end gap-2 w-full"):
                kind = ui.select(list(TARGET_KINDS), label="Target", value="device")
                kind.classes("min-w-28").mark("window-kind")
                value = ui.input("Device, type, tag…").classes("min-w-40").mark("window-value")
                start = ui.input(
                    "Start (YYYY-MM-DD HH:MM)",
                    value=core.clock.now().astimezone().strftime(TIME_FORMAT),
                ).classes("min-w-44")
                start.mark("window-start")
                minutes = ui.number("Minutes", value=60, min=1, step=15, precision=0)
                minutes.classes("w-28").mark("window-minutes")
                every = ui.select(REPEATS, label="Repeats", value="")
                every.classes("min-w-32").mark("window-every")
                until = ui.input("Repeat until (optional)").classes("min-w-44").mark("window-until")
                reason = ui.input("Reason").props("maxlength=500").classes("flex-1 min-w-48")
                reason.mark("window-reason")
            error = ui.label("").classes("text-negative").mark("window-error")
            guarded_button(
                "Add window",
                marker="window-add",
                user=user,
                permission=Permission.MAINTENANCE_WRITE,
                on_click=add_window,
                icon="event_busy",
            )
    return redraw


def _selector(kind: str, value: str) -> dict[str, Any]:
    if kind == "all":
        return {"all": True}
    if kind not in TARGET_KINDS:
        raise ValueError(f"Target: one of {', '.join(TARGET_KINDS)}")
    if not value.strip():
        raise ValueError(f"Target: which {kind}?")
    return {kind: value.strip()}
