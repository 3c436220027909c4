"""The intent bar: a sentence parsed as it is typed (debounced; a newer keystroke
supersedes an older parse and stale answers are dropped), its explanation and the devices
it resolves to, the plan, and Apply.

Everything the sentence or the registry supplies is shown as plain text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from nicegui import ui

from core.errors import WardenError
from core.intents import parse_intent
from core.models import IntentPublic, UserPublic
from core.permissions import Permission
from core.services import intent_preview, intents
from core.services.intent_preview import IntentPreview, PlannedChange, PlanPreview
from core.services.intents import IntentConflict
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.widgets import guarded_button, why_not

DEBOUNCE_S = 0.3


def _mono(text: str) -> ui.label:
    return ui.label(text).classes("font-mono text-body2").style("white-space: pre-wrap")


def _show_preview(shown: IntentPreview | None, on_pick: Callable[[str], None]) -> None:
    if shown is None or not shown.text.strip():
        ui.label(
            "Try “limit meter-1 to 2 mbit”, “block camera-2” or “send data every 60 s for meter-1”."
        ).classes("text-grey text-caption")
        return
    if shown.error is not None:
        with ui.column().classes("gap-1").mark("parse-error"):
            ui.label(shown.error.message).classes("text-negative")
            if shown.error.suggestions:
                ui.label("Perhaps:").classes("text-caption")
                with ui.row().classes("gap-1 flex-wrap"):
                    for suggestion in shown.error.suggestions:
                        ui.chip(
                            suggestion,
                            icon="lightbulb",
                            on_click=lambda s=suggestion: on_pick(s),
                        ).props("outline dense").mark("suggestion")
        return
    with ui.column().classes("gap-1 w-full").mark("explanation"):
        for intent in shown.intents:
            with ui.row().classes("items-center gap-2 flex-wrap"):
                ui.icon("check_circle", color="positive")
                ui.label(intent.explanation)
            with ui.row().classes("items-center gap-1 flex-wrap q-ml-lg").mark("resolved"):
                if intent.targets:
                    ui.label("on").classes("text-caption")
                    for target in intent.targets:
                        ui.badge(target, color="blue-grey").props("outline")
                else:
                    ui.label("no device matches yet").classes("text-caption text-warning")
        for warning in shown.warnings:
            ui.label(warning).classes("text-caption text-warning")


@dataclass(frozen=True)
class ReplaceOffer:
    """Apply met a conflict with live intents: submitting the same text again to replace
    them is the way on (the CLI's ``--replaces``)."""

    text: str
    live_ids: list[int]
    messages: list[str]


def _show_offer(offer: ReplaceOffer, *, user: UserPublic, on_replace, on_cancel) -> None:
    ids = ", ".join(f"#{i}" for i in offer.live_ids)
    with (
        ui.card()
        .classes("w-full q-pa-sm bg-orange-1 text-orange-10")
        .props("flat bordered")
        .mark("replace-offer")
    ):
        ui.label(f"“{offer.text}” conflicts with live intent {ids}:").classes("break-words")
        for message in offer.messages:
            ui.label(message).classes("text-caption break-words q-ml-md")
        ui.label(
            f"Replace {ids} with it (the old intent ends as this one is planned), or cancel."
        ).classes("text-caption")
        with ui.row().classes("gap-2 flex-wrap"):
            guarded_button(
                f"Replace {ids}",
                user=user,
                permission=Permission.INTENTS_WRITE,
                on_click=on_replace,
                icon="swap_horiz",
                color="warning",
                marker="replace-button",
            )
            ui.button("Cancel", on_click=on_cancel).props("flat").mark("replace-cancel")


def _show_plan(plan: PlanPreview | None) -> None:
    if plan is None:
        return
    with ui.card().classes("w-full q-pa-sm").mark("plan"):
        with ui.row().classes("items-center gap-2"):
            ui.label("Plan for").classes("text-subtitle1")
            ui.label(f"“{plan.text}”").classes("text-subtitle1 text-weight-medium")
            if plan.ok:
                ui.badge("can be applied", color="positive")
            else:
                ui.badge("would be refused", color="negative").mark("plan-refused")
        groups: tuple[tuple[str, list[PlannedChange]], ...] = (
            ("Kernel classes", plan.kernel),
            ("nft rules", plan.firewall),
            ("Device commands", plan.devices),
        )
        for title, changes in groups:
            if changes:
                ui.label(title).classes("text-overline")
                for change in changes:
                    ui.label(f"{change.target}: {change.summary}").classes("q-ml-md")
        if plan.empty:
            ui.label("Nothing to change.").classes("text-grey")
        for conflict in plan.conflicts:
            ui.label(f"Conflict: {conflict}").classes("text-negative").mark("conflict")
        for refusal in plan.refusals:
            ui.label(f"Refused: {refusal}").classes("text-negative").mark("refusal")
        for line in [*plan.warnings, *plan.notes]:
            ui.label(line).classes("text-caption")
        with ui.expansion("As text").classes("w-full"):
            _mono(plan.rendered)


def intent_bar(web: WebContext, user: UserPublic) -> None:
    """Draw the bar, its live preview, Plan and Apply for ``user``'s browser."""
    generation = 0
    state: dict[str, PlanPreview | None] = {"plan": None}
    offered: dict[str, ReplaceOffer | None] = {"offer": None}

    @ui.refreshable
    def preview_view(shown: IntentPreview | None) -> None:
        _show_preview(shown, bar.set_value)

    @ui.refreshable
    def plan_view() -> None:
        if offered["offer"] is not None:
            _show_offer(offered["offer"], user=user, on_replace=replace, on_cancel=cancel)
        _show_plan(state["plan"])

    async def on_type() -> None:
        nonlocal generation
        generation += 1
        mine = generation
        state["plan"], offered["offer"] = None, None
        plan_view.refresh()
        await asyncio.sleep(DEBOUNCE_S)
        if mine != generation:
            return  # a newer keystroke took over
        text = bar.value or ""
        shown = (
            await read(lambda session: intent_preview.preview(session=session, text=text))
            if text.strip()
            else None
        )
        if mine != generation:
            return  # stale: the text changed while it was being read
        preview_view.refresh(shown)

    async def plan() -> None:
        text = (bar.value or "").strip()
        if not text:
            bar.props("error error-message='Type an intent first'")
            return
        bar.props(remove="error error-message")
        kernel = web.core.kernel
        try:
            state["plan"] = await read(
                lambda session: intent_preview.plan(
                    session=session, text=text, features=kernel.features()
                )
            )
        except WardenError as error:
            ui.notify(f"{error.title}: {error.msg}", type="negative", multi_line=True)
            state["plan"] = None
        plan_view.refresh()

    async def apply() -> None:
        text = (bar.value or "").strip()
        if not text:
            bar.props("error error-message='Type an intent first'")
            return
        bar.props(remove="error error-message")
        try:
            await submit(text, replaces=[])
        except IntentConflict as conflict:
            offered["offer"] = ReplaceOffer(
                text=text, live_ids=conflict.live_ids, messages=conflict.messages
            )
            await plan()  # the plan shows the conflict too, under the offer

    async def replace() -> None:
        offer = offered["offer"]
        if offer is None:
            return
        try:
            await submit(offer.text, replaces=offer.live_ids)
        except IntentConflict as conflict:  # yet another live intent in the way
            offered["offer"] = ReplaceOffer(
                text=offer.text, live_ids=conflict.live_ids, messages=conflict.messages
            )
            plan_view.refresh()

    def cancel() -> None:
        offered["offer"] = None
        plan_view.refresh()

    async def submit(text: str, *, replaces: list[int]) -> None:
        core = web.core
        stored: tuple[list[IntentPublic], list[int]] | None = await act(
            Permission.INTENTS_WRITE,
            lambda session, actor: intents.submit(
                session=session,
                text=text,
                actor=actor,
                now=core.clock.now(),
                replaces=replaces,
                features=core.kernel.features(),
            ),
            passes=(IntentConflict,),
        )
        if stored is None:
            if why_not(user, Permission.INTENTS_WRITE) is None and parse_intent(text).ok:
                await plan()  # show why (refusals) where the plan goes
            return
        new, ended = stored
        parts = [f"intent {i.id} planned" for i in new] + [f"intent {i} ended" for i in ended]
        ui.notify("Applied: " + ", ".join(parts), type="positive")
        offered["offer"], state["plan"] = None, None
        bar.set_value("")
        plan_view.refresh()

    with ui.card().classes("w-full q-pa-sm"):
        bar = (
            ui.input(
                "Say what the network should do",
                placeholder="limit meter-1 to 2 mbit",
                on_change=on_type,
            )
            .props("clearable outlined")
            .classes("w-full")
            .mark("intent-bar")
        )
        bar.on("keydown.enter", plan)
        preview_view(None)
        with ui.row().classes("gap-2 flex-wrap"):
            ui.button("Plan", icon="preview", on_click=plan).mark("plan-button")
            guarded_button(
                "Apply",
                user=user,
                permission=Permission.INTENTS_WRITE,
                on_click=apply,
                icon="play_arrow",
                marker="apply-button",
            )
        plan_view()
