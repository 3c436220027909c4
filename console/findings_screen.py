"""Screen 2: findings, live. New ones arrive at the top, highlighted for a moment, with a
bell; ``a`` acknowledges, ``r`` resolves, ``n`` adds a note, enter shows the evidence."""

from __future__ import annotations

import time
from datetime import datetime

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from console.dialogs import PromptDialog, TextDialog
from console.format import FINDING_STATUS_STYLE, SEVERITY_STYLE, ago, local, styled, when
from console.messages import answer
from console.table_screen import Row, TableScreen
from console.text import plain, wrapped
from core.clock import from_ms
from core.errors import WardenError
from core.models import FindingPublic, FindingStatus
from core.permissions import Permission
from core.services import finding_explain, findings
from core.services.finding_explain import FindingExplained

HIGHLIGHT_S = 3.0
"""How long a new finding stays highlighted."""


class FindingsScreen(TableScreen[list[FindingPublic]]):
    MODE_NAME = "findings"
    ENTITIES = ("finding",)
    COLUMNS = (
        ("severity", "sev"),
        ("status", "status"),
        ("seen", "last seen"),
        ("device", "device"),
        ("rule", "rule"),
        ("count", "n"),
        ("summary", "summary"),
    )
    FLEX_COLUMN = "summary"
    BINDINGS = [
        Binding("a", "acknowledge", "Ack"),
        Binding("r", "resolve", "Resolve"),
        Binding("n", "note", "Note"),
    ]
    HELP = "a        acknowledge\nr        resolve\nn        add a note\nenter    evidence\n"

    def __init__(self) -> None:
        super().__init__()
        self._known: set[int] | None = None
        self._fresh: dict[int, float] = {}

    def fetch(self, session: Session) -> list[FindingPublic]:
        return findings.list_findings(session=session, limit=300).items

    def show(self, data: list[FindingPublic]) -> None:
        ids = {f.id for f in data}
        if self._known is not None:
            new = [f for f in data if f.id not in self._known]
            until = time.monotonic() + HIGHLIGHT_S
            self._fresh.update({f.id: until for f in new})
            if any(f.status == FindingStatus.OPEN for f in new):
                self.app.bell()
            if new:
                self.set_timer(HIGHLIGHT_S + 0.1, self._fade)
        self._known = ids
        super().show(data)
        open_ = sum(1 for f in data if f.status == FindingStatus.OPEN)
        self.set_caption(f"{open_} open · {len(data)} shown (unresolved first, most severe first)")

    def _fade(self) -> None:
        now = time.monotonic()
        self._fresh = {i: t for i, t in self._fresh.items() if t > now}
        if self.data is not None:
            super().show(self.data)

    def make_rows(self, data: list[FindingPublic]) -> list[Row]:
        now = self.console.core.clock.now()
        rows = []
        for f in data:
            cells = (
                styled(f.severity, SEVERITY_STYLE),
                styled(str(f.status), FINDING_STATUS_STYLE),
                Text(ago(f.last_seen, now)),
                plain(f.device_id),
                plain(f.rule_id),
                Text(str(f.count)),
                plain(f.summary),
            )
            if f.id in self._fresh:
                for cell in cells:
                    cell.stylize("reverse")
            rows.append((str(f.id), cells))
        return rows

    # ---------------------------------------------------------------- actions
    def _selected(self) -> FindingPublic | None:
        key = self.selected_key
        found = [f for f in self.data or [] if str(f.id) == key]
        if not found:
            self.notify("no finding selected", severity="warning")
        return found[0] if found else None

    def action_acknowledge(self) -> None:
        finding = self._selected()
        if finding is not None:
            self.act(
                Permission.FINDINGS_WRITE,
                f"acknowledge finding {finding.id}",
                lambda session, actor, now: findings.acknowledge(
                    session=session, finding_id=finding.id, actor=actor, now=now
                ),
                f"finding {finding.id} acknowledged",
            )

    def action_resolve(self) -> None:
        finding = self._selected()
        if finding is not None:
            self.act(
                Permission.FINDINGS_WRITE,
                f"resolve finding {finding.id}",
                lambda session, actor, now: findings.resolve(
                    session=session, finding_id=finding.id, actor=actor, now=now
                ),
                f"finding {finding.id} resolved",
            )

    def action_note(self) -> None:
        finding = self._selected()
        if finding is None or not self.permitted(
            Permission.FINDINGS_WRITE, f"note finding {finding.id}"
        ):
            return

        def add(text: str | None) -> None:
            if text and text.strip():
                self.act(
                    Permission.FINDINGS_WRITE,
                    f"note finding {finding.id}",
                    lambda session, actor, now: findings.add_note(
                        session=session, finding_id=finding.id, actor=actor, text=text, now=now
                    ),
                    f"note added to finding {finding.id}",
                )

        self.app.push_screen(PromptDialog(f"Note on finding {finding.id}"), add)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        finding = self._selected()
        if finding is not None:
            self._evidence(finding.id)

    @work(thread=True, exclusive=True, group="evidence", exit_on_error=False)
    def _evidence(self, finding_id: int) -> None:
        try:
            with self.console.core.db.reader() as session:
                shown = finding_explain.explain(session=session, finding_id=finding_id)
        except (WardenError, SQLAlchemyError) as exc:
            answer(self, self.fail, exc)
            return
        body = finding_text(shown, self.console.core.clock.now())
        answer(self, self.app.push_screen, TextDialog(f"Finding {finding_id}", body))


def finding_text(shown: FindingExplained, now: datetime) -> Text:
    """What a finding means and what to do, its times as local dates and ages, its details
    as labelled lines and the log lines it cites, whole."""
    finding, rule = shown.finding, shown.rule
    text = Text()
    text.append(f"{finding.severity} ", style=SEVERITY_STYLE.get(finding.severity, ""))
    text.append_text(wrapped(finding.summary, "bold"))
    text.append("\nrule ").append_text(wrapped(rule.name, "bold"))
    if rule.name != rule.id:
        text.append(" (").append_text(wrapped(rule.id)).append(")")
    text.append("\nstatus ").append_text(styled(str(finding.status), FINDING_STATUS_STYLE))
    text.append(f"  · {finding.count} firing{'s' if finding.count != 1 else ''} · {shown.opened}")
    if finding.device_id:
        text.append("\ndevice ").append_text(wrapped(finding.device_id))
    text.append("  key ").append_text(wrapped(finding.key))
    text.append(f"\nfirst seen {when(finding.first_seen, now)}")
    text.append(f"\nlast seen  {when(finding.last_seen, now)}")
    if finding.acked_by:
        text.append("\nacknowledged by ").append_text(wrapped(finding.acked_by))
    if finding.resolved_by:
        text.append("\nresolved by ").append_text(wrapped(finding.resolved_by))
    if rule.description:
        text.append("\n\nWhat it means\n", style="bold underline")
        text.append_text(wrapped(rule.description))
    if rule.remediation:
        text.append("\n\nWhat to do\n", style="bold underline")
        text.append_text(wrapped(rule.remediation))
    if not rule.known:
        text.append("\n\nThis rule is no longer in the catalog.", style="dim")
    if shown.details:
        text.append("\n\nDetails", style="bold underline")
        for line in shown.details:
            text.append("\n").append_text(wrapped(line.label, "dim")).append(" ")
            text.append_text(Text(when(line.at, now)) if line.at else wrapped(line.text))
    if finding.notes:
        text.append("\n\nNotes", style="bold underline")
        for note in finding.notes:
            text.append(f"\n{when(note.at, now)} ", style="dim")
            text.append_text(wrapped(f"{note.author}: {note.text}"))
    text.append("\n\nLog lines", style="bold underline")
    if not shown.evidence:
        text.append("\nnone kept for this finding", style="dim")
    for line in shown.evidence:
        text.append(f"\n{local(from_ms(line.ts))} ", style="dim")
        text.append_text(wrapped(f"{line.host or '-'} {line.app or '-'}: ", "bold"))
        text.append_text(wrapped(line.message))
    return text
