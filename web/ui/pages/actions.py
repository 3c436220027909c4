"""The actions page: what playbooks propose about findings, waiting for a person to approve
or reject it (with a reason), what is approved or running, and the history with each
step's output. The steps shown are the rendered ones: what is approved is exactly what
runs. Live: any action change, by anyone, redraws the page."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from core.models import ActionPublic, ActionState, UserPublic
from core.permissions import Permission
from core.services import actions
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.pages.finding_detail import device_url, serial_method
from web.ui.session import actor_for
from web.ui.widgets import guarded_button, when

LIMIT = 300
HISTORY_SHOWN = 50
OUTPUT_SHOWN = 4000
"""Characters of one step's output drawn (the runner caps what it stores anyway)."""
IN_PROGRESS = (ActionState.APPROVED, ActionState.RUNNING)
STATE_COLOURS = {
    ActionState.PROPOSED: "primary",
    ActionState.APPROVED: "info",
    ActionState.RUNNING: "info",
    ActionState.SUCCEEDED: "positive",
    ActionState.FAILED: "negative",
    ActionState.REJECTED: "grey",
    ActionState.SKIPPED: "grey",
}


def step_text(step: dict[str, Any]) -> str:
    kind = step.get("kind", "?")
    rest = {k: v for k, v in step.items() if k != "kind" and v not in (None, [], {})}
    if kind == "diagnostic" and isinstance(rest.get("argv"), list):
        return "run: " + " ".join(str(arg) for arg in rest.pop("argv")) + _extra(rest)
    return f"{kind}:{_extra(rest)}"


def _extra(rest: dict[str, Any]) -> str:
    return f" {json.dumps(rest, sort_keys=True, default=str)}" if rest else ""


def _header(action: ActionPublic) -> None:
    with ui.row().classes("items-center gap-2 w-full"):
        ui.badge(action.state.value, color=STATE_COLOURS[action.state]).mark(
            f"action-state-{action.id}"
        )
        ui.label(action.title).classes("flex-1 min-w-48 break-words text-weight-medium")
        ui.label(f"#{action.id}").classes("text-caption text-grey")
    with ui.row().classes("items-center gap-x-3 gap-y-0 text-caption w-full"):
        ui.label(f"{action.playbook_id} ({action.mode})").classes("break-all")
        if action.finding_id is not None:
            ui.link(f"finding {action.finding_id}", f"/findings?open={action.finding_id}")
        if action.device_id:
            ui.link(action.device_id, device_url(action.device_id)).classes("break-all")
        ui.label(f"proposed {when(action.proposed_at)}")
        if action.decided_by:
            ui.label(f"decided by {action.decided_by} {when(action.decided_at)}")


def _steps(action: ActionPublic) -> None:
    with ui.column().classes("gap-0 w-full overflow-x-auto").mark(f"action-steps-{action.id}"):
        for number, step in enumerate(action.steps, start=1):
            ui.label(f"{number}. {step_text(step)}").classes(
                "font-mono text-caption whitespace-pre"
            )


def _results(action: ActionPublic) -> None:
    if action.reason:
        ui.label(action.reason).classes("text-caption break-words").mark(
            f"action-reason-{action.id}"
        )
    if action.outputs_hidden:
        ui.label(f"Output hidden: {action.outputs_hidden}.").classes("text-caption text-grey").mark(
            f"action-output-hidden-{action.id}"
        )
    with ui.column().classes("gap-1 w-full").mark(f"action-results-{action.id}"):
        for number, result in enumerate(action.results, start=1):
            ok = bool(result.get("ok"))
            ui.label(f"{number}. {result.get('kind', '?')}: {'ok' if ok else 'failed'}").classes(
                "text-caption " + ("text-positive" if ok else "text-negative")
            )
            text = str(result.get("output") or result.get("error") or "")[:OUTPUT_SHOWN]
            if text:
                ui.label(text).classes(
                    "font-mono text-caption whitespace-pre-wrap break-all w-full "
                    "q-pa-xs rounded-borders bg-grey-10 text-grey-3"
                ).style("max-height: 12rem; overflow: auto")


class ActionsPage:
    """The approval queue, what runs, and the history; reject asks why."""

    def __init__(self, web: WebContext, user: UserPublic) -> None:
        self.web, self.core, self.user = web, web.core, user
        self.rejecting: int | None = None
        """The action the reject dialog is open for."""
        self.redraw = serial_method(lambda: self.board)

    async def build(self) -> None:
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-lg"):
            self.dialog_title = ui.label().classes("text-subtitle1 break-words")
            self.reason = ui.textarea("Why reject it?")
            self.reason.props("maxlength=500 autofocus").classes("w-full").mark("reject-reason")
            self.reject_error = ui.label().classes("text-negative").mark("reject-error")
            with ui.row().classes("justify-end w-full"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat").mark("reject-cancel")
                ui.button("Reject", color="negative", on_click=self.confirm_reject).mark(
                    "reject-confirm"
                )
        await self.board()
        self.web.hub.changed.subscribe(self.on_change)

    async def approve(self, action_id: int) -> None:
        clock = self.core.clock
        done = await act(
            Permission.ACTIONS_DECIDE,
            lambda session, actor: actions.approve(
                session=session, action_id=action_id, actor=actor, now=clock.now()
            ),
            done=f"Action {action_id} approved; it runs shortly.",
        )
        if done is not None:
            await self.redraw()

    def ask_reason(self, action: ActionPublic) -> None:
        self.rejecting = action.id
        self.reason.set_value("")
        self.dialog_title.set_text(f"Reject action {action.id}: {action.title}")
        self.reject_error.set_text("")
        self.dialog.open()

    async def confirm_reject(self) -> None:
        action_id, reason = self.rejecting, (self.reason.value or "").strip()
        if action_id is None:
            return
        if not reason:
            self.reject_error.set_text("Say why, for whoever reads the history.")
            return
        clock = self.core.clock
        done = await act(
            Permission.ACTIONS_DECIDE,
            lambda session, actor: actions.reject(
                session=session, action_id=action_id, actor=actor, now=clock.now(), reason=reason
            ),
            done=f"Action {action_id} rejected.",
        )
        self.dialog.close()
        if done is not None:
            await self.redraw()

    @ui.refreshable_method
    async def board(self) -> None:
        reader = actor_for(self.user)
        listed = await read(
            lambda session: actions.list_actions(session=session, reader=reader, limit=LIMIT).items
        )
        waiting = [a for a in listed if a.state == ActionState.PROPOSED]
        going = [a for a in listed if a.state in IN_PROGRESS]
        history = [a for a in listed if a.state not in (ActionState.PROPOSED, *IN_PROGRESS)]
        _queue(waiting, self.user, self.approve, self.ask_reason)
        if going:
            with ui.card().classes("w-full q-pa-md").props("flat bordered").mark("in-progress"):
                ui.label("Approved, waiting to run or running").classes("text-h6")
                for action in going:
                    _header(action)
                    _steps(action)
        with ui.card().classes("w-full q-pa-md").props("flat bordered").mark("history"):
            ui.label("History").classes("text-h6")
            if not history:
                ui.label("Nothing has run or been rejected yet.").classes("text-grey")
            for action in history[:HISTORY_SHOWN]:
                with ui.column().classes("w-full gap-1 q-py-sm").mark(f"done-{action.id}"):
                    _header(action)
                    _steps(action)
                    _results(action)
            if len(history) > HISTORY_SHOWN:
                ui.label(
                    f"The newest {HISTORY_SHOWN} shown; `warden actions list` has the rest."
                ).classes("text-caption text-grey")

    async def on_change(self, kinds: frozenset[str]) -> None:
        if concerns(kinds, "action."):
            await self.redraw()


def register(web: WebContext) -> None:
    @ui.page("/actions")
    async def actions_page() -> None:
        user = await open_page("Actions")
        if user is not None:
            await ActionsPage(web, user).build()


def _queue(waiting: list[ActionPublic], user: UserPublic, approve: Any, ask_reason: Any) -> None:
    with ui.card().classes("w-full q-pa-md").props("flat bordered").mark("queue"):
        ui.label(f"Awaiting approval ({len(waiting)})").classes("text-h6")
        if not waiting:
            ui.label("Nothing waits for a decision.").classes("text-grey")
        for action in waiting:
            with ui.column().classes("w-full gap-1 q-py-sm").mark(f"proposed-{action.id}"):
                _header(action)
                _steps(action)
                with ui.row().classes("gap-2"):
                    guarded_button(
                        "Approve",
                        marker=f"approve-{action.id}",
                        user=user,
                        permission=Permission.ACTIONS_DECIDE,
                        on_click=lambda a=action.id: approve(a),
                        icon="check",
                        color="positive",
                    )
                    guarded_button(
                        "Reject",
                        marker=f"reject-{action.id}",
                        user=user,
                        permission=Permission.ACTIONS_DECIDE,
                        on_click=lambda a=action: ask_reason(a),
                        icon="block",
                        color="negative",
                    )
