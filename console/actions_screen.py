"""Screen 5: playbook actions. The approval queue (proposed actions) first, then the
history; ``y`` approves, ``n`` rejects with a reason, enter shows the steps and results."""

from __future__ import annotations

import json

from rich.text import Text
from sqlmodel import Session
from textual.binding import Binding
from textual.widgets import DataTable

from console.dialogs import PromptDialog, TextDialog
from console.format import ACTION_STATE_STYLE, ago, styled
from console.table_screen import Row, TableScreen
from console.text import plain
from core.models import ActionPublic, ActionState
from core.permissions import Permission
from core.services import actions

HISTORY = 200


class ActionsScreen(TableScreen[list[ActionPublic]]):
    MODE_NAME = "actions"
    ENTITIES = ("action",)
    COLUMNS = (
        ("id", "id"),
        ("state", "state"),
        ("when", "proposed"),
        ("device", "device"),
        ("finding", "finding"),
        ("by", "decided by"),
        ("title", "title"),
    )
    FLEX_COLUMN = "title"
    BINDINGS = [Binding("y", "approve", "Approve"), Binding("n", "reject", "Reject")]
    HELP = (
        "y        approve the selected action\n"
        "n        reject it (with a reason)\n"
        "enter    steps and results\n"
    )

    def fetch(self, session: Session) -> list[ActionPublic]:
        reader = self.console.actor
        queue = actions.list_actions(
            session=session, reader=reader, state=ActionState.PROPOSED.value
        ).items
        history = [
            a
            for a in actions.list_actions(session=session, reader=reader, limit=HISTORY).items
            if a.state != ActionState.PROPOSED
        ]
        return queue + history

    def make_rows(self, data: list[ActionPublic]) -> list[Row]:
        now = self.console.core.clock.now()
        return [
            (
                str(a.id),
                (
                    Text(str(a.id)),
                    styled(str(a.state), ACTION_STATE_STYLE),
                    Text(ago(a.proposed_at, now)),
                    plain(a.device_id),
                    Text(str(a.finding_id) if a.finding_id else "-"),
                    plain(a.decided_by),
                    plain(a.title),
                ),
            )
            for a in data
        ]

    def show(self, data: list[ActionPublic]) -> None:
        super().show(data)
        waiting = sum(1 for a in data if a.state == ActionState.PROPOSED)
        self.set_caption(f"{waiting} waiting for approval · {len(data) - waiting} in history")

    def _selected(self) -> ActionPublic | None:
        found = [a for a in self.data or [] if str(a.id) == self.selected_key]
        return found[0] if found else None

    def action_approve(self) -> None:
        action = self._selected()
        if action is None:
            return
        self.act(
            Permission.ACTIONS_DECIDE,
            f"approve action {action.id}",
            lambda session, actor, now: actions.approve(
                session=session, action_id=action.id, actor=actor, now=now
            ),
            f"action {action.id} approved",
        )

    def action_reject(self) -> None:
        action = self._selected()
        if action is None or not self.permitted(
            Permission.ACTIONS_DECIDE, f"reject action {action.id}"
        ):
            return

        def reject(reason: str | None) -> None:
            if reason is None:
                return
            self.act(
                Permission.ACTIONS_DECIDE,
                f"reject action {action.id}",
                lambda session, actor, now: actions.reject(
                    session=session, action_id=action.id, actor=actor, now=now, reason=reason
                ),
                f"action {action.id} rejected",
            )

        self.app.push_screen(
            PromptDialog(f"Reject action {action.id}: why?", placeholder="reason"), reject
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        action = self._selected()
        if action is not None:
            body = Text().append_text(plain(action.title, "bold")).append(f"\nstate {action.state}")
            if action.reason:
                body.append_text(plain(f"\nreason: {action.reason}"))
            for heading, items in (("Steps", action.steps), ("Results", action.results)):
                body.append(f"\n\n{heading}", style="bold underline")
                for item in items:
                    body.append_text(Text("\n")).append_text(plain(json.dumps(item, default=str)))
            if action.outputs_hidden:
                body.append_text(plain(f"\n\nOutput hidden: {action.outputs_hidden}.", "dim"))
            self.app.push_screen(TextDialog(f"Action {action.id}", body))
