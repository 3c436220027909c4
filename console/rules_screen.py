"""Screen 6: the rules as stored, with their enabled state; enter explains one (what it
means, what to do, how it is defined, the playbooks it starts), ``t`` replays the last
24 h through it and ``l`` tries one log line (``warden rules test``'s services), ``b``
lists the playbooks, ``e`` (admin) enables or disables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from console.dialogs import PromptDialog, TextDialog
from console.format import SEVERITY_STYLE, ago, local, styled
from console.messages import answer
from console.table_screen import Row, TableScreen
from console.text import plain, wrapped
from core.clock import from_ms, to_ms
from core.errors import WardenError
from core.models import CatalogPublic
from core.permissions import Permission
from core.services.finding_explain import explain_rule
from core.services.playbooks import PLAYBOOKS
from core.services.rule_replay import check_line, replay_rule
from core.services.rules import RULES

REPLAY = timedelta(hours=24)
"""How far back ``t`` replays (``warden rules test``'s default)."""


class RulesScreen(TableScreen[list[CatalogPublic]]):
    MODE_NAME = "rules"
    ENTITIES = ("rule",)
    COLUMNS = (
        ("enabled", "on"),
        ("id", "rule"),
        ("kind", "kind"),
        ("severity", "severity"),
        ("pack", "pack"),
        ("edited", "edited"),
        ("updated", "updated"),
    )
    BINDINGS = [
        Binding("t", "test", "Test 24h"),
        Binding("l", "try_line", "Try a line"),
        Binding("b", "playbooks", "Playbooks"),
        Binding("e", "toggle", "Enable/disable"),
    ]
    HELP = (
        "enter    the rule: what it means, what to do, its definition, its playbooks\n"
        "t        test: when it would have fired on the last 24 h, or why not\n"
        "l        try one log line against it (does it count it, and if not, why)\n"
        "b        the playbooks (what each starts on, suggest or auto)\n"
        "e        enable / disable the selected rule (admin)\n"
    )

    def fetch(self, session: Session) -> list[CatalogPublic]:
        return RULES.list(session=session)

    def make_rows(self, data: list[CatalogPublic]) -> list[Row]:
        now = self.console.core.clock.now()
        return [
            (
                r.id,
                (
                    Text("on", style="green") if r.enabled else Text("off", style="dim"),
                    plain(r.id),
                    plain(r.kind),
                    styled(r.definition.get("severity"), SEVERITY_STYLE),
                    plain(r.pack),
                    Text(f"by {r.updated_by}" if r.edited else "", style="yellow"),
                    Text(ago(r.updated_at, now), style="dim"),
                ),
            )
            for r in data
        ]

    def show(self, data: list[CatalogPublic]) -> None:
        super().show(data)
        enabled = sum(1 for r in data if r.enabled)
        caption = f"{enabled} of {len(data)} rules enabled"
        if not data:
            caption = "no rules stored yet: `warden rules list` copies the shipped packs in"
        self.set_caption(caption)

    def _selected(self) -> CatalogPublic | None:
        found = [r for r in self.data or [] if r.id == self.selected_key]
        if not found:
            self.notify("no rule selected", severity="warning")
        return found[0] if found else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        rule = self._selected()
        if rule is not None:
            self._show(f"Rule {rule.id}", lambda session: rule_text(session, rule))

    def action_test(self) -> None:
        rule = self._selected()
        if rule is not None:
            self._show(f"Test {rule.id} on the last 24 h", lambda session: replay_text(
                session, rule.id, self.console.core.clock.now()
            ))  # fmt: skip

    def action_try_line(self) -> None:
        rule = self._selected()
        if rule is None:
            return

        def tried(line: str | None) -> None:
            if line and line.strip():
                now = self.console.core.clock.now()
                self._show(
                    f"Try a line on {rule.id}",
                    lambda session: line_text(session, rule.id, line.strip(), now),
                )

        self.app.push_screen(
            PromptDialog(
                f"A log line for {rule.id}",
                placeholder="<30>Jan  1 00:00:00 host prog[1]: message — or just the message",
            ),
            tried,
        )

    def action_playbooks(self) -> None:
        self._show("Playbooks", playbooks_text)

    @work(thread=True, exclusive=True, group="rule", exit_on_error=False)
    def _show(self, title: str, make: Callable[[Session], Text]) -> None:
        try:
            with self.console.core.db.reader() as session:
                body = make(session)
        except (WardenError, SQLAlchemyError) as exc:
            answer(self, self.fail, exc)
            return
        answer(self, self.app.push_screen, TextDialog(title, body))

    def action_toggle(self) -> None:
        rule = self._selected()
        if rule is None:
            return
        verb = "disable" if rule.enabled else "enable"
        self.act(
            Permission.CATALOG_WRITE,
            f"{verb} rule {rule.id}",
            lambda session, actor, now: RULES.set_enabled(
                session=session, entry_id=rule.id, enabled=not rule.enabled, actor=actor, now=now
            ),
            f"rule {rule.id} {verb}d",
        )


DEFINITION_SKIP = {"id", "name", "description", "remediation", "pack", "enabled"}


def rule_text(session: Session, rule: CatalogPublic) -> Text:
    """What a rule means and what to do (as a finding's detail says it), its definition
    as labelled lines, and the playbooks it starts."""
    explained = explain_rule(session=session, rule_id=rule.id)
    text = Text().append_text(wrapped(explained.name, "bold"))
    text.append(f"\n{rule.id} · {rule.kind} · pack {rule.pack} · ")
    text.append("enabled" if rule.enabled else "disabled", style="green" if rule.enabled else "dim")
    if rule.edited:
        text.append_text(wrapped(f" · edited by {rule.updated_by}", "yellow"))
    if explained.description:
        text.append("\n\nWhat it means\n", style="bold underline")
        text.append_text(wrapped(explained.description))
    if explained.remediation:
        text.append("\n\nWhat to do\n", style="bold underline")
        text.append_text(wrapped(explained.remediation))
    text.append("\n\nDefinition", style="bold underline")
    for key, value in rule.definition.items():
        if key not in DEFINITION_SKIP and value not in (None, [], {}, ""):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            text.append(f"\n{key.replace('_', ' ')} ", style="dim").append_text(wrapped(shown))
    started = [p for p in PLAYBOOKS.list(session=session) if rule.id in _triggers(p)]
    text.append("\n\nPlaybooks it starts", style="bold underline")
    if not started:
        text.append("\nnone", style="dim")
    for playbook in started:
        text.append("\n").append_text(playbook_line(playbook))
    text.append("\n\nt tests it on the last 24 h; l tries one log line", style="dim")
    return text


def replay_text(session: Session, rule_id: str, now: datetime) -> Text:
    """``warden rules test RULE``: when it would have fired over the last 24 h, or why not
    (and the line that came closest)."""
    report = replay_rule(
        session=session, rule_id=rule_id, since_ms=to_ms(now - REPLAY), until_ms=to_ms(now)
    )
    firings = report.firings
    text = Text(f"{report.looked_at}, {len(firings)} firing{'s' if len(firings) != 1 else ''}")
    for firing in firings:
        text.append(f"\n{local(from_ms(firing.ts_ms))} ", style="dim")
        text.append_text(wrapped(firing.summary))
    if not firings:
        text.append("\n").append_text(wrapped(report.why_not, "yellow"))
    if report.nearest is not None and report.nearest_line is not None:
        text.append("\n\nclosest line: ", style="bold").append_text(wrapped(report.nearest_line))
        text.append("\n").append_text(wrapped(report.nearest.describe()))
    return text


def line_text(session: Session, rule_id: str, line: str, now: datetime) -> Text:
    """``warden rules test RULE --line``: whether the rule counts the line, and if not, the
    nearest of its wordings and where the line parts from it."""
    check = check_line(session=session, rule_id=rule_id, line=line, received_ms=to_ms(now))
    text = Text()
    if check.matched:
        text.append("counts this line", style="bold green")
        text.append(" under key ").append_text(wrapped(check.key or ""))
        for name, value in check.captures.items():
            text.append(f"\n  {name} = ", style="dim").append_text(wrapped(value))
    else:
        text.append("does not count this line", style="bold yellow")
        origin = f"from {check.app or 'an untagged program'}, sorted as {check.log_class}"
        text.append_text(wrapped(f" ({origin})"))
        text.append("\n").append_text(wrapped(check.explanation()))
    return text


def playbooks_text(session: Session) -> Text:
    stored = PLAYBOOKS.list(session=session)
    if not stored:
        return Text("no playbooks stored", style="dim")
    text = Text()
    for playbook in stored:
        if text:
            text.append("\n")
        text.append_text(playbook_line(playbook))
    text.append(
        "\n\nsuggest: proposes an action for approval (5 actions); auto: runs it",
        style="dim",
    )
    return text


def playbook_line(playbook: CatalogPublic) -> Text:
    definition = playbook.definition
    on = playbook.enabled
    text = Text("on  " if on else "off ", style="green" if on else "dim")
    text.append_text(wrapped(f"{playbook.id}", "bold"))
    text.append_text(wrapped(f"  {definition.get('name', '')}"))
    text.append(f"  [{definition.get('mode', '?')}]", style="cyan")
    triggers = ", ".join(_triggers(playbook)) or "-"
    text.append("  on ", style="dim").append_text(wrapped(triggers))
    return text


def _triggers(playbook: CatalogPublic) -> list[str]:
    on = playbook.definition.get("on") or []
    return [str(t) for t in on] if isinstance(on, list) else [str(on)]
