"""One finding in full, as the findings page shows it: what fired, the rule's description
and what to do about it, the log lines it cites (whole, wrapped), what the rule captured
(times as local dates and ages), the notes, and what an operator can do about it. The
explanation is core's (``core.services.finding_explain``), the same as the TUI's.

Everything here that came from the network (summaries, keys, log lines, captured values,
notes) is drawn as plain text."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from nicegui import ui

from core.models import ActionPublic, FindingPublic, FindingStatus, LogPublic, UserPublic
from core.permissions import Permission
from core.services.finding_explain import FindingExplained
from web.ui.widgets import SEVERITY_COLOURS, Ages, guarded_button, when

STATUS_COLOURS = {
    FindingStatus.OPEN: "negative",
    FindingStatus.ACKNOWLEDGED: "warning",
    FindingStatus.RESOLVED: "positive",
}

Handler = Callable[[], Awaitable[Any]]


@dataclass
class DetailActions:
    acknowledge: Handler
    resolve: Handler
    add_note: Handler
    close: Callable[[], Any]


def serial(section: Any) -> Callable[[], Awaitable[None]]:
    """``section.refresh`` (an async ``ui.refreshable``) one at a time: two redraws that
    overlapped would both draw into the container the first one cleared."""
    lock = asyncio.Lock()

    async def refresh() -> None:
        async with lock:
            await section.refresh()

    return refresh


def serial_method(section: Callable[[], Any]) -> Callable[[], Awaitable[None]]:
    """``serial`` for a ``ui.refreshable_method``, given as ``lambda: self.method``: the
    refreshable is shared by every instance of the class and redraws the instance it was
    last read through, so it is read through this page's instance at each redraw."""

    class Bound:
        def refresh(self) -> Any:
            return section().refresh()

    return serial(Bound())


def rule_url(rule_id: str) -> str:
    return "/rules?" + urlencode({"rule": rule_id})


def device_url(device_id: str) -> str:
    return "/devices/" + quote(device_id, safe="")


def status_chip(finding: FindingPublic) -> ui.badge:
    return ui.badge(finding.status.value, color=STATUS_COLOURS[finding.status]).mark(
        f"status-{finding.id}"
    )


def _field(name: str, value: str) -> None:
    with ui.row().classes("gap-2 no-wrap w-full"):
        ui.label(name).classes("text-caption text-grey w-28 shrink-0")
        ui.label(value).classes("break-words min-w-0")


def _moment(name: str, moment: datetime | None, ages: Ages) -> None:
    """A time as a local date and, beside it, its age (which counts on)."""
    with ui.row().classes("gap-2 no-wrap w-full items-baseline"):
        ui.label(name).classes("text-caption text-grey w-28 shrink-0")
        with ui.row().classes("gap-x-2 gap-y-0 min-w-0"):
            ui.label(when(moment))
            if moment is not None:
                ages.label(moment, "({})").classes("text-grey")


def _log_line(line: LogPublic) -> str:
    at = when(datetime.fromtimestamp(line.ts / 1000, tz=UTC))
    source = " ".join(part for part in (line.host, line.app) if part) or line.source_ip or "?"
    return f"{at}  {source}: {line.message}"


def draw_detail(
    explained: FindingExplained,
    related: list[ActionPublic],
    *,
    user: UserPublic,
    ages: Ages,
    note_draft: str,
    on_note: Callable[[str], Any],
    actions: DetailActions,
) -> None:
    """The detail card; ``note_draft`` is a half-typed note kept across live redraws (``on_note``
    is told every keystroke)."""
    finding, lines, rule = explained.finding, explained.evidence, explained.rule
    with ui.card().classes("w-full q-pa-md").props("flat bordered").mark("finding-detail"):
        with ui.row().classes("items-center gap-2 w-full"):
            ui.badge(finding.severity, color=SEVERITY_COLOURS.get(finding.severity, "grey"))
            status_chip(finding)
            ui.label(f"#{finding.id}").classes("text-caption text-grey")
            ui.space()
            ui.button(icon="close", on_click=actions.close).props("flat round dense").mark(
                "close-detail"
            )
        ui.label(finding.summary).classes("text-subtitle1 break-words w-full")
        with ui.column().classes("gap-1 w-full").mark("rule-explained"):
            ui.label(rule.name).classes("text-weight-medium break-words")
            if rule.description:
                ui.label(rule.description).classes("break-words")
            if rule.remediation:
                with ui.row().classes("gap-2 no-wrap items-start w-full").mark("remediation"):
                    ui.icon("build", color="primary").classes("q-mt-xs")
                    ui.label(f"What to do: {rule.remediation}").classes("break-words min-w-0")
            elif not rule.known:
                ui.label("This rule is no longer in the catalog.").classes("text-grey")

        with ui.row().classes("gap-2 w-full"):
            open_ = finding.status == FindingStatus.OPEN
            guarded_button(
                "Acknowledge",
                marker="finding-ack",
                user=user,
                permission=Permission.FINDINGS_WRITE,
                on_click=actions.acknowledge,
                not_now=None if open_ else f"It is {finding.status.value}, not open.",
                icon="visibility",
            )
            resolved = finding.status == FindingStatus.RESOLVED
            guarded_button(
                "Resolve",
                marker="finding-resolve",
                user=user,
                permission=Permission.FINDINGS_WRITE,
                on_click=actions.resolve,
                not_now="It is resolved already." if resolved else None,
                icon="check_circle",
                color="positive",
            )

        with ui.column().classes("gap-1 w-full q-mt-sm"):
            with ui.row().classes("gap-2 no-wrap w-full"):
                ui.label("rule").classes("text-caption text-grey w-28 shrink-0")
                ui.link(finding.rule_id, rule_url(finding.rule_id)).classes("break-all")
            with ui.row().classes("gap-2 no-wrap w-full"):
                ui.label("device").classes("text-caption text-grey w-28 shrink-0")
                if finding.device_id:
                    ui.link(finding.device_id, device_url(finding.device_id)).classes("break-all")
                else:
                    ui.label("—")
            _field("key", finding.key)
            firings = "1 firing" if finding.count == 1 else f"{finding.count} firings"
            _field("count", f"{firings}, {explained.opened}")
            _moment("first seen", finding.first_seen, ages)
            _moment("last seen", finding.last_seen, ages)
            if finding.acked_by:
                _field("acknowledged", f"{finding.acked_by}, {when(finding.acked_at)}")
            if finding.resolved_by:
                _field("resolved", f"{finding.resolved_by}, {when(finding.resolved_at)}")
            if finding.suppressed:
                _field("suppressed", "raised during a maintenance window (not notified)")

        ui.label("Evidence").classes("text-overline q-mt-sm")
        with ui.column().classes("gap-1 w-full").mark("evidence"):
            if not lines:
                missing = "none cited" if not finding.evidence else "purged since"
                ui.label(f"No log lines ({missing}).").classes("text-grey")
            for line in lines:  # whole and wrapped: the part that matters is often at the end
                ui.label(_log_line(line)).classes(
                    "font-mono text-caption whitespace-pre-wrap break-all w-full"
                )

        if explained.details:
            ui.label("Details").classes("text-overline q-mt-sm")
            with ui.column().classes("gap-1 w-full").mark("details"):
                for detail in explained.details:
                    if detail.at is not None:
                        _moment(detail.label, detail.at, ages)
                    else:
                        _field(detail.label, detail.text)

        if related:
            with ui.row().classes("items-center gap-2 q-mt-sm"):
                ui.label("Playbook actions").classes("text-overline")
                ui.link("open the actions page", "/actions").classes("text-caption")
            with ui.column().classes("gap-1 w-full").mark("related-actions"):
                for action in related:
                    with ui.row().classes("items-center gap-2 no-wrap w-full"):
                        ui.badge(action.state.value, color="grey").props("outline").mark(
                            f"related-{action.id}"
                        )
                        ui.label(action.title).classes("ellipsis")

        ui.label("Notes").classes("text-overline q-mt-sm")
        with ui.column().classes("gap-1 w-full").mark("notes"):
            if not finding.notes:
                ui.label("No notes yet.").classes("text-grey")
            for note in finding.notes:
                with ui.row().classes("gap-2 items-baseline w-full"):
                    ui.label(f"{note.author}, {when(note.at)}").classes("text-caption text-grey")
                    ui.label(note.text).classes("break-words whitespace-pre-wrap")
        with ui.row().classes("items-end gap-2 w-full"):
            ui.input(
                "Add a note",
                value=note_draft,
                on_change=lambda event: on_note(event.value or ""),
            ).classes("flex-1 min-w-48").props("maxlength=2000").mark("note-text")
            guarded_button(
                "Add note",
                marker="finding-note",
                user=user,
                permission=Permission.FINDINGS_WRITE,
                on_click=actions.add_note,
                icon="note_add",
            )
