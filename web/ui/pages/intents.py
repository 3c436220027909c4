"""The intents page: say what the network should do (the intent bar), then watch every
intent's status, verdict, satisfaction and recent checks, its policies on expand, and
revoke it. Live on ``intent.*``/``policy.*`` changes from any process, and when the
verification loop moves the verdict counts."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui
from sqlmodel import Session

from core.models import IntentCheckPublic, IntentPublic, PolicyStatus, UserPublic, Verdict
from core.permissions import Permission
from core.services import intents
from core.services.overview import Overview
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.pages.intent_bar import intent_bar
from web.ui.widgets import (
    VERDICT_COLOURS,
    Ages,
    chip,
    guarded_button,
    intent_status,
    intent_verdict,
    policy_status,
    when,
    why_not,
)

LIST_LIMIT = 100
SPARK_CHECKS = 30
SPARK_VALUE = {
    Verdict.SATISFIED: 1.0,
    Verdict.DEGRADED: 0.5,
    Verdict.UNVERIFIABLE: 0.5,
    Verdict.VIOLATED: 0.0,
}


@dataclass(frozen=True)
class IntentRow:
    intent: IntentPublic
    checks: list[IntentCheckPublic]
    """The newest checks, oldest first (for the sparkline)."""


def _rows(session: Session, *, ended: bool) -> list[IntentRow]:
    rows = []
    for intent in intents.list_intents(session=session, limit=LIST_LIMIT).items:
        if not ended and not intent.status.live:
            continue
        checks = (
            intents.history(session=session, intent_id=intent.id, limit=SPARK_CHECKS)
            if intent.checks
            else []
        )
        rows.append(IntentRow(intent=intent, checks=list(reversed(checks))))
    return rows


def _sparkline(checks: list[IntentCheckPublic]) -> None:
    if len(checks) < 2:
        return
    ui.echart(
        {
            "animation": False,
            "grid": {"left": 2, "right": 2, "top": 2, "bottom": 2},
            "xAxis": {"type": "category", "show": False},
            "yAxis": {"type": "value", "show": False, "min": 0, "max": 1},
            "series": [
                {
                    "type": "line",
                    "step": "middle",
                    "showSymbol": False,
                    "areaStyle": {"opacity": 0.2},
                    "data": [SPARK_VALUE[c.verdict] for c in checks],
                }
            ],
        }
    ).classes("w-28 h-8").mark("sparkline")


def _intent_card(row: IntentRow, *, user: UserPublic, ages: Ages, on_revoke) -> None:
    intent = row.intent
    with ui.card().classes("w-full q-pa-sm").mark(f"intent-{intent.id}"):
        with ui.row().classes("items-center gap-2 w-full flex-wrap"):
            ui.label(f"#{intent.id}").classes("text-weight-bold")
            intent_status(intent)
            intent_verdict(intent)
            if intent.satisfaction is not None and intent.dry_run is None:
                ui.label(f"{intent.satisfaction:.0%} satisfied").classes("text-caption")
            if intent.dry_run is None:
                _sparkline(row.checks)
            if intent.dry_run is None:  # a dry run is never checked
                ages.label(intent.checked_at, "checked {}").classes("text-caption")
            ui.space()
            if intent.status.live:
                refused = why_not(user, Permission.INTENTS_WRITE) is not None
                guarded_button(
                    "Revoke",
                    user=user,
                    permission=Permission.INTENTS_WRITE,
                    on_click=lambda i=intent.id: on_revoke(i),
                    icon="block",
                    color="negative",
                    flat=True,
                ).mark(f"revoke-{intent.id}" + (" refused" if refused else ""))
        ui.label(intent.explanation).classes("text-body1")
        ui.label(
            f"“{intent.text}” · {intent.owner} via {intent.origin} · {when(intent.created_at)}"
        ).classes("text-caption text-grey")
        if intent.verdict_reason and intent.dry_run is None:
            ui.label(intent.verdict_reason).classes("text-caption")
        if intent.note:
            ui.label(f"note: {intent.note}").classes("text-caption")
        with (
            ui.expansion(f"{len(intent.policies)} policies")
            .classes("w-full")
            .mark(f"policies-{intent.id}")
        ):
            for policy in intent.policies:
                with ui.row().classes("items-center gap-2 flex-wrap"):
                    ui.badge(policy.kind.value, color="blue-grey").props("outline")
                    policy_status(policy)
                    if policy.verdict and policy.status != PolicyStatus.DRY_RUN:
                        chip(policy.verdict.value, VERDICT_COLOURS[policy.verdict.value])
                    ui.label(policy.summary)
                if policy.last_error and policy.status != PolicyStatus.DRY_RUN:
                    ui.label(policy.last_error).classes("text-caption text-negative q-ml-md")


class IntentsPage:
    """The bar, then every intent as a card; revoke after a confirmation."""

    def __init__(self, web: WebContext, user: UserPublic) -> None:
        self.web, self.core, self.user = web, web.core, user
        self.ages = Ages(self.core.clock)
        self.show_ended = False
        self.verdicts = web.hub.last.intents_by_verdict if web.hub.last else None
        """The verdict counts last seen: the verification loop writes no change row."""

    async def build(self) -> None:
        intent_bar(self.web, self.user)
        self.dialogs = ui.element("div").mark("dialogs")  # outside what a redraw replaces
        with ui.row().classes("items-center w-full q-mt-md"):
            ui.label("Submitted intents").classes("text-h6")
            ui.space()
            ui.switch("Show ended", on_change=lambda e: self.toggle_ended(e.value)).mark(
                "show-ended"
            )
        await self.intent_list()
        self.ages.start()
        self.web.hub.changed.subscribe(self.on_change)
        self.web.hub.status.subscribe(self.on_status)

    @ui.refreshable_method
    async def intent_list(self) -> None:
        ended = self.show_ended
        rows = await read(lambda session: _rows(session, ended=ended))
        with ui.column().classes("w-full gap-2").mark("intent-list"):
            if not rows:
                ui.label("No live intents.").classes("text-grey")
            for row in rows:
                _intent_card(row, user=self.user, ages=self.ages, on_revoke=self.ask_revoke)

    def toggle_ended(self, value: bool) -> None:
        self.show_ended = value
        self.intent_list.refresh()

    async def ask_revoke(self, intent_id: int) -> None:
        """Revoke only after a confirmation naming what ends."""
        with (
            self.dialogs,
            ui.dialog() as dialog,
            ui.card().classes("max-w-lg").mark("revoke-dialog"),
        ):
            ui.label(f"Revoke intent #{intent_id}?").classes("text-h6")
            ui.label(
                "Its policies are removed from the network and the devices; this cannot "
                "be undone (submit it again to have it back)."
            ).classes("break-words")
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat").mark(
                    "revoke-cancel"
                )
                ui.button(
                    "Revoke", icon="block", color="negative", on_click=lambda: dialog.submit(True)
                ).mark("revoke-confirm")
        confirmed = await dialog
        dialog.delete()
        if confirmed:
            await self.revoke(intent_id)

    async def revoke(self, intent_id: int) -> None:
        clock = self.core.clock
        done = await act(
            Permission.INTENTS_WRITE,
            lambda session, actor: intents.revoke(
                session=session, intent_id=intent_id, actor=actor, now=clock.now()
            ),
            done=f"Intent {intent_id} revoked",
        )
        if done is not None:
            self.intent_list.refresh()

    def on_change(self, kinds: frozenset[str]) -> None:
        if concerns(kinds, "intent.", "policy."):
            self.intent_list.refresh()

    def on_status(self, summary: Overview) -> None:
        before, self.verdicts = self.verdicts, summary.intents_by_verdict
        if before is not None and before != summary.intents_by_verdict:
            self.intent_list.refresh()


def register(web: WebContext) -> None:
    @ui.page("/intents")
    async def intents_page() -> None:
        user = await open_page("Intents")
        if user is not None:
            await IntentsPage(web, user).build()
