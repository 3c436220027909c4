"""``/rules``: the stored rules and playbooks (``warden rules`` / ``warden playbooks``).

Everyone sees every rule (severity, kind, description) and playbook and can replay the
last 24 h through a rule ("would it have fired?"). Admins (``CATALOG_WRITE``) switch them
on and off and edit a rule's numbers (thresholds, windows, cool-downs); the whole rule is
validated again by the service before it is stored. ``?rule=ID`` opens and marks one rule.
A change made anywhere (CLI, TUI, another browser) redraws the lists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nicegui import ui

from core.clock import from_ms, to_ms
from core.errors import WardenError
from core.models import CatalogPublic, UserPublic
from core.permissions import Permission
from core.services.catalog import Catalog
from core.services.playbooks import PLAYBOOKS
from core.services.rule_replay import RuleReplay, replay_rule
from core.services.rules import RULES
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.widgets import SEVERITY_COLOURS, chip, when, why_not

REPLAY_WINDOW = timedelta(hours=24)
SAMPLES = 10
"""Firings of a replay shown as examples."""
NOT_NUMBERS = frozenset({"enabled"})
FOCUS_STYLE = "border-left: 4px solid var(--q-primary)"


def register(web: WebContext) -> None:
    @ui.page("/rules")
    async def rules_page(rule: str | None = None) -> None:
        user = await open_page("Rules & playbooks")
        if user is None:
            return
        await RulesView(web, user, focus=rule).build()


def numeric_fields(definition: dict[str, Any]) -> dict[str, int | float]:
    """The fields of a definition an operator tunes as numbers."""
    return {
        name: value
        for name, value in definition.items()
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and name not in NOT_NUMBERS
    }


def parse_number(text: str | None, *, integer: bool) -> int | float:
    """``ValueError`` with a message a person can act on."""
    raw = (text or "").strip()
    try:
        number = float(raw)
    except ValueError:
        raise ValueError("enter a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("enter a finite number")
    if integer:
        if not number.is_integer():
            raise ValueError("enter a whole number")
        return int(number)
    return number


class RulesView:
    """One browser's rules page: its lists, which rules are open and their replays."""

    def __init__(self, web: WebContext, user: UserPublic, *, focus: str | None) -> None:
        self.web, self.user = web, user
        self.focus = focus
        self.opened: set[str] = {focus} if focus else set()
        self.replays: dict[str, RuleReplay | str] = {}
        self.rules: list[CatalogPublic] = []
        self.playbooks: list[CatalogPublic] = []

    async def build(self) -> None:
        await self.load()
        ui.label(
            "Rules turn logs and readings into findings; playbooks turn findings into actions."
        ).classes("text-caption opacity-80")
        self.rules_section = ui.refreshable(self._rules_section)
        self.playbooks_section = ui.refreshable(self._playbooks_section)
        self.rules_section()
        self.playbooks_section()
        self.web.hub.changed.subscribe(self.on_change)

    async def load(self) -> None:
        self.rules = await read(lambda session: RULES.list(session=session))
        self.playbooks = await read(lambda session: PLAYBOOKS.list(session=session))

    async def on_change(self, kinds: frozenset[str]) -> None:
        if concerns(kinds, "rule.", "playbook."):
            await self.reload()

    async def reload(self) -> None:
        await self.load()
        self.rules_section.refresh()
        self.playbooks_section.refresh()

    # rules

    def _rules_section(self) -> None:
        ui.label(f"Rules ({len(self.rules)})").classes("text-h6 q-mt-md")
        if not self.rules:
            ui.label(
                "No rules are stored yet: the agent copies the shipped packs in when it "
                "starts (so does any `warden rules` command)."
            ).mark("no-rules")
            return
        if self.focus and self.focus not in {r.id for r in self.rules}:
            ui.label(f"There is no rule {self.focus!r}.").classes("text-negative")
        with ui.column().classes("w-full gap-2"):
            for entry in self.rules:
                self._rule_card(entry)

    def _rule_card(self, entry: CatalogPublic) -> None:
        definition = entry.definition
        severity = str(definition.get("severity", "info"))
        card = ui.card().classes("w-full q-pa-sm").mark(f"rule-{entry.id}")
        if entry.id == self.focus:
            card.style(FOCUS_STYLE).mark(f"rule-{entry.id} focused")
        with card:
            with ui.row().classes("items-center gap-2 w-full wrap"):
                self._switch(RULES, entry)
                chip(severity, SEVERITY_COLOURS.get(severity, "grey"))
                ui.label(entry.id).classes("text-weight-medium")
                ui.label(str(definition.get("name", ""))).classes("opacity-80")
                chip(entry.kind, "grey")
                if not entry.enabled:
                    chip("disabled", "grey").mark(f"rule-off-{entry.id}")
                if entry.edited:
                    chip(f"edited by {entry.updated_by}", "grey")
            if definition.get("description"):
                ui.label(str(definition["description"])).classes("text-body2 opacity-80")
            with (
                ui.expansion(
                    "Tune and test",
                    value=entry.id in self.opened,
                    on_value_change=lambda e, rid=entry.id: self._opened(rid, e.value),
                )
                .classes("w-full")
                .mark(f"rule-details-{entry.id}")
            ):
                self._editor(entry)
                self._tester(entry)

    def _opened(self, rule_id: str, is_open: bool) -> None:
        if is_open:
            self.opened.add(rule_id)
        else:
            self.opened.discard(rule_id)

    def _editor(self, entry: CatalogPublic) -> None:
        fields = numeric_fields(entry.definition)
        if not fields:
            ui.label("This rule has no numbers to tune.").classes("text-caption")
            return
        reason = why_not(self.user, Permission.CATALOG_WRITE)
        inputs: dict[str, tuple[ui.input, bool]] = {}
        with ui.row().classes("w-full gap-2 wrap items-start"):
            for name, value in fields.items():
                integer = isinstance(value, int)
                box = (
                    ui.input(
                        name,
                        value=f"{value:g}" if not integer else str(value),
                        validation=lambda text, i=integer: _problem(text, integer=i),
                    )
                    .props("dense outlined")
                    .classes("w-32")
                    .mark(f"field-{entry.id}-{name}")
                )
                if reason:
                    box.disable()
                inputs[name] = (box, integer)

        async def save() -> None:
            await self.save(entry, inputs)

        button = ui.button("Save", on_click=save).props("dense").mark(f"save-{entry.id}")
        if reason:
            button.disable()
            button.tooltip(f"Not allowed: {reason}")
            button.mark(f"save-{entry.id} refused")

    async def save(self, entry: CatalogPublic, inputs: dict[str, tuple[ui.input, bool]]) -> None:
        current = numeric_fields(entry.definition)
        changes: dict[str, int | float] = {}
        for name, (box, integer) in inputs.items():
            try:
                number = parse_number(box.value, integer=integer)
            except ValueError as problem:
                ui.notify(f"{name}: {problem}", type="warning")
                return
            if number != current[name]:
                changes[name] = number
        if not changes:
            ui.notify("Nothing changed.")
            return
        saved = await act(
            Permission.CATALOG_WRITE,
            lambda session, actor: RULES.update(
                session=session,
                entry_id=entry.id,
                changes=changes,
                actor=actor,
                now=self.web.core.clock.now(),
            ),
            done=f"Rule {entry.id} saved",
        )
        if saved is not None:
            self.opened.add(entry.id)
            await self.reload()

    def _tester(self, entry: CatalogPublic) -> None:
        async def run_test() -> None:
            await self.test(entry.id)

        with ui.row().classes("items-center gap-2 q-mt-sm"):
            ui.button("Test against last 24 h", icon="history", on_click=run_test).props(
                "dense outline"
            ).mark(f"test-{entry.id}")
        result = self.replays.get(entry.id)
        if result is None:
            return
        with ui.column().classes("w-full gap-1 q-mt-xs").mark(f"test-result-{entry.id}"):
            if isinstance(result, str):
                ui.label(result).classes("text-warning")
                return
            count = len(result.firings)
            ui.label(f"Would raise {count} finding(s) — {result.looked_at}").classes(
                "text-weight-medium"
            )
            if not count:
                ui.label(result.why_not).classes("opacity-80")
            for firing in result.firings[:SAMPLES]:
                with ui.row().classes("gap-2 wrap text-body2"):
                    ui.label(when(from_ms(firing.ts_ms))).classes("text-mono opacity-80")
                    ui.label(firing.summary)
            if count > SAMPLES:
                ui.label(f"… and {count - SAMPLES} more").classes("text-caption")

    async def test(self, rule_id: str) -> None:
        until = self.web.core.clock.now()
        since = until - REPLAY_WINDOW
        try:
            self.replays[rule_id] = await read(
                lambda session: replay_rule(
                    session=session, rule_id=rule_id, since_ms=to_ms(since), until_ms=to_ms(until)
                )
            )
        except WardenError as error:
            self.replays[rule_id] = error.msg
        self.opened.add(rule_id)
        self.rules_section.refresh()

    # playbooks

    def _playbooks_section(self) -> None:
        ui.label(f"Playbooks ({len(self.playbooks)})").classes("text-h6 q-mt-lg")
        if not self.playbooks:
            ui.label("No playbooks are stored yet.").mark("no-playbooks")
            return
        with ui.column().classes("w-full gap-2"):
            for entry in self.playbooks:
                definition = entry.definition
                with ui.card().classes("w-full q-pa-sm").mark(f"playbook-{entry.id}"):
                    with ui.row().classes("items-center gap-2 w-full wrap"):
                        self._switch(PLAYBOOKS, entry)
                        ui.label(entry.id).classes("text-weight-medium")
                        ui.label(str(definition.get("name", ""))).classes("opacity-80")
                        chip(str(definition.get("mode", "suggest")), "blue-grey")
                        if not entry.enabled:
                            chip("disabled", "grey").mark(f"playbook-off-{entry.id}")
                    ui.label(
                        "on "
                        + ", ".join(str(r) for r in definition.get("on", []))
                        + f" · {len(definition.get('steps', []))} step(s)"
                    ).classes("text-caption")
                    if definition.get("description"):
                        ui.label(str(definition["description"])).classes("text-body2 opacity-80")

    # shared

    def _switch(self, catalog: Catalog[Any], entry: CatalogPublic) -> None:
        async def toggle(event: Any) -> None:
            await self.set_enabled(catalog, entry.id, bool(event.value))

        switch = ui.switch(value=entry.enabled, on_change=toggle).mark(
            f"{catalog.noun}-switch-{entry.id}"
        )
        reason = why_not(self.user, Permission.CATALOG_WRITE)
        if reason:
            switch.disable()
            switch.tooltip(f"Not allowed: {reason}")
            switch.mark(f"{catalog.noun}-switch-{entry.id} refused")

    async def set_enabled(self, catalog: Catalog[Any], entry_id: str, enabled: bool) -> None:
        await act(
            Permission.CATALOG_WRITE,
            lambda session, actor: catalog.set_enabled(
                session=session,
                entry_id=entry_id,
                enabled=enabled,
                actor=actor,
                now=self.web.core.clock.now(),
            ),
            done=f"{catalog.noun.capitalize()} {entry_id} {'enabled' if enabled else 'disabled'}",
        )
        await self.reload()  # the stored state, whether the change went through or not


def _problem(text: str | None, *, integer: bool) -> str | None:
    try:
        parse_number(text, integer=integer)
    except ValueError as problem:
        return str(problem)
    return None
