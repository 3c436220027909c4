"""The maintenance windows card of the findings page: the windows now and to come (and
past ones on request), ending one early, and adding one (admins)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from nicegui import ui

from core.models import MaintenancePublic, UserPublic
from core.permissions import Permission
from core.runtime import Core
from core.services import maintenance
from web.ui.calls import act, read
from web.ui.pages.finding_detail import serial_method
from web.ui.widgets import guarded_button, when

TARGET_KINDS = ("device", "type", "tag", "location", "glob", "all")
TIME_FORMAT = "%Y-%m-%d %H:%M"
REPEATS = {"": "once", "day": "every day", "week": "every week"}


def parse_moment(text: str, what: str) -> datetime:
    """A local ``YYYY-MM-DD HH:MM`` as an aware datetime (``ValueError`` with a message)."""
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).astimezone()
    except ValueError:
        raise ValueError(f"{what}: write it as YYYY-MM-DD HH:MM") from None


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


class MaintenanceSection:
    """The card; ``redraw`` redraws its list (the page calls it on ``maintenance.*``)."""

    def __init__(self, core: Core, user: UserPublic) -> None:
        self.core, self.user = core, user
        self.past = False
        self.redraw = serial_method(lambda: self.window_list)

    async def build(self) -> None:
        with ui.card().classes("w-full q-pa-md q-mt-md").props("flat bordered").mark("maintenance"):
            with ui.row().classes("items-center w-full"):
                ui.label("Maintenance windows").classes("text-h6")
                ui.space()
                ui.switch("Show past", on_change=self.show_past).mark("show-past")
            ui.label(
                "Findings for the devices a window covers are recorded as suppressed while it "
                "is active: no notifications, no playbook actions."
            ).classes("text-caption text-grey")
            await self.window_list()
            with ui.expansion("Add a window", icon="add").classes("w-full").mark("add-window"):
                self._form()

    def _form(self) -> None:
        with ui.row().classes("items-end gap-2 w-full"):
            self.kind = ui.select(list(TARGET_KINDS), label="Target", value="device")
            self.kind.classes("min-w-28").mark("window-kind")
            self.value = ui.input("Device, type, tag…").classes("min-w-40").mark("window-value")
            self.start = ui.input(
                "Start (YYYY-MM-DD HH:MM)",
                value=self.core.clock.now().astimezone().strftime(TIME_FORMAT),
            ).classes("min-w-44")
            self.start.mark("window-start")
            self.minutes = ui.number("Minutes", value=60, min=1, step=15, precision=0)
            self.minutes.classes("w-28").mark("window-minutes")
            self.every = ui.select(REPEATS, label="Repeats", value="")
            self.every.classes("min-w-32").mark("window-every")
            self.until = ui.input("Repeat until (optional)").classes("min-w-44")
            self.until.mark("window-until")
            self.reason = ui.input("Reason").props("maxlength=500").classes("flex-1 min-w-48")
            self.reason.mark("window-reason")
        self.error = ui.label("").classes("text-negative").mark("window-error")
        guarded_button(
            "Add window",
            marker="window-add",
            user=self.user,
            permission=Permission.MAINTENANCE_WRITE,
            on_click=self.add_window,
            icon="event_busy",
        )

    @ui.refreshable_method
    async def window_list(self) -> None:
        now, past = self.core.clock.now(), self.past
        rows = await read(
            lambda session: (
                maintenance.list_windows(session=session, now=now, include_past=past).items
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
                            user=self.user,
                            permission=Permission.MAINTENANCE_WRITE,
                            on_click=lambda w=window.id: self.end_window(w),
                            color="warning",
                        )

    async def show_past(self, event: Any) -> None:
        self.past = bool(event.value)
        await self.redraw()

    async def end_window(self, window_id: int) -> None:
        clock = self.core.clock
        done = await act(
            Permission.MAINTENANCE_WRITE,
            lambda session, actor: maintenance.end_window(
                session=session, window_id=window_id, actor=actor, now=clock.now()
            ),
            done=f"Maintenance window {window_id} ended.",
        )
        if done is not None:
            await self.redraw()

    async def add_window(self) -> None:
        self.error.set_text("")
        try:
            selector = _selector(self.kind.value or "", self.value.value or "")
            starts_at = parse_moment(self.start.value or "", "Start")
            length = int(self.minutes.value or 0)
            if length <= 0:
                raise ValueError("Minutes: at least one")
            repeat = (self.until.value or "").strip()
            repeat_until = parse_moment(repeat, "Repeat until") if repeat else None
        except ValueError as invalid:
            self.error.set_text(str(invalid))
            return
        reason, every = self.reason.value or "", self.every.value or None
        done = await act(
            Permission.MAINTENANCE_WRITE,
            lambda session, actor: maintenance.add_window(
                session=session,
                reason=reason,
                selector=selector,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=length),
                every=every,
                repeat_until=repeat_until,
                actor=actor,
            ),
            done="Maintenance window added.",
        )
        if done is not None:
            for field in (self.value, self.reason, self.until):
                field.set_value("")
            await self.redraw()


def _selector(kind: str, value: str) -> dict[str, Any]:
    if kind == "all":
        return {"all": True}
    if kind not in TARGET_KINDS:
        raise ValueError(f"Target: one of {', '.join(TARGET_KINDS)}")
    if not value.strip():
        raise ValueError(f"Target: which {kind}?")
    return {kind: value.strip()}
