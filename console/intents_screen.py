"""Screen 3: intents. The intent bar (``i``) parses as you type and shows the explanation
and the devices it resolves to; ``p`` shows the plan, enter applies after a confirmation;
the list shows status, verdict and satisfaction; ``x`` revokes."""

from __future__ import annotations

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from console.dialogs import ConfirmDialog, TextDialog
from console.intent_text import (
    dry_reason,
    dry_run,
    enforcement_note,
    intent_text,
    plan_text,
    preview_text,
    satisfaction,
    status_cell,
    verdict_cell,
)
from console.messages import answer
from console.table_screen import Row, TableScreen
from console.text import plain
from core.errors import WardenError
from core.models import IntentPublic
from core.permissions import Permission
from core.services import intent_preview, intents, runtime
from core.services.intent_preview import PlanPreview
from core.services.intents import IntentConflict, IntentRefused
from core.services.overview import DaemonState, daemon_state


class IntentBar(Input):
    """The sentence to plan and apply; escape goes back to the list."""

    BINDINGS = [Binding("escape", "leave", "List", show=False)]

    def action_leave(self) -> None:
        self.screen.query_one("#table").focus()


class IntentsScreen(TableScreen[list[IntentPublic]]):
    MODE_NAME = "intents"
    ENTITIES = ("intent", "policy")
    DEFAULT_CSS = """
    IntentsScreen IntentBar { margin: 0 1; }
    IntentsScreen #preview { padding: 0 1; height: auto; max-height: 4; }
    """
    COLUMNS = (
        ("id", "id"),
        ("status", "status"),
        ("verdict", "verdict"),
        ("satisfied", "satisfied"),
        ("owner", "owner"),
        ("explanation", "explanation"),
    )
    FLEX_COLUMN = "explanation"
    BINDINGS = [
        Binding("i", "focus_bar", "Intent"),
        Binding("p", "plan", "Plan"),
        Binding("x", "revoke", "Revoke"),
    ]
    HELP = (
        "i        type an intent (parsed as you type)\n"
        "enter    in the bar: plan, confirm and apply\n"
        "p        show the plan of the sentence in the bar\n"
        "x        revoke the selected intent\n"
        "enter    on the list: the intent's policies\n"
    )

    _daemon: DaemonState | None = None
    """The daemon as the last plan found it (for the replace dialog's DRY RUN note)."""
    outcome_of: str | None = None
    """The sentence whose submission was last answered (refused or applied)."""

    def compose_above(self) -> ComposeResult:
        yield IntentBar(
            placeholder="i: e.g. limit meter-1 to 2 mbit", id="intent-bar", compact=True
        )
        yield Static(Text("type an intent; enter plans and applies it", style="dim"), id="preview")
        yield from super().compose_above()

    @property
    def bar(self) -> IntentBar:
        return self.query_one(IntentBar)

    def fetch(self, session: Session) -> list[IntentPublic]:
        return intents.list_intents(session=session, limit=200).items

    def make_rows(self, data: list[IntentPublic]) -> list[Row]:
        return [
            (
                str(i.id),
                (
                    Text(str(i.id)),
                    status_cell(i),
                    verdict_cell(i),
                    Text(satisfaction(i)),
                    plain(i.owner),
                    plain(i.explanation),
                ),
            )
            for i in data
        ]

    def show(self, data: list[IntentPublic]) -> None:
        super().show(data)
        live = sum(1 for i in data if i.status.live)
        caption = f"{live} live · {len(data)} shown"
        dry = next((i.dry_run for i in data if i.dry_run is not None), None)
        if dry is not None:
            caption += f" · DRY RUN: nothing applied to the kernel ({dry_reason(dry)})"
        self.set_caption(caption)

    def action_focus_bar(self) -> None:
        self.bar.focus()

    # ---------------------------------------------------------------- preview
    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, IntentBar):
            self.outcome_of = None
            self._preview(event.value)
        else:
            super().on_input_changed(event)

    def set_preview(self, text: Text) -> None:
        self.query_one("#preview", Static).update(text)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _preview(self, sentence: str) -> None:
        worker = get_current_worker()
        text = preview_text(sentence, self.console.core)
        if not worker.is_cancelled:
            answer(self, self._show_preview, sentence, text)

    def _show_preview(self, sentence: str, text: Text) -> None:
        """A late preview never hides what submitting the same sentence answered."""
        if self.outcome_of != sentence and self.bar.value == sentence:
            self.set_preview(text)

    # ---------------------------------------------------------------- plan and apply
    def action_plan(self) -> None:
        sentence = self.bar.value.strip()
        if not sentence:
            self.notify("type an intent first (i)", severity="warning")
            self.bar.focus()
            return
        self._plan(sentence, apply=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not isinstance(event.input, IntentBar):
            return
        event.stop()
        sentence = event.value.strip()
        if sentence and self.permitted(Permission.INTENTS_WRITE, f"submit intent {sentence!r}"):
            self._plan(sentence, apply=True)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan(self, sentence: str, *, apply: bool) -> None:
        core = self.console.core
        try:
            features = core.kernel.features()
            with core.db.reader() as session:
                planned = intent_preview.plan(session=session, text=sentence, features=features)
                heartbeat = runtime.get_state(
                    session=session, key=runtime.AGENT_KEY, now=core.clock.now()
                )
        except (WardenError, SQLAlchemyError) as exc:
            answer(self, self.refused, exc)
            return
        answer(self, self._show_plan, planned, apply, daemon_state(heartbeat))

    def _show_plan(self, planned: PlanPreview, apply: bool, daemon: DaemonState) -> None:
        body = enforcement_note(daemon) + plan_text(planned)
        if not apply:
            self.app.push_screen(TextDialog("Plan", body))
        elif planned.refusals:
            self.refused(IntentRefused(planned.refusals))
        elif not planned.ok:
            # Submitting is refused with the live intents in the way (core names them),
            # and nothing is stored; the answer offers to replace them.
            self._daemon = daemon
            self._apply(planned.text)
        else:
            title = "DRY RUN — record this intent?" if dry_run(daemon) else "Apply this intent?"
            self.app.push_screen(
                ConfirmDialog(title, body),
                lambda yes: self._submit(planned.text) if yes else None,
            )

    def _submit(self, sentence: str, replaces: tuple[int, ...] = ()) -> None:
        self._apply(sentence, replaces)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _apply(self, sentence: str, replaces: tuple[int, ...] = ()) -> None:
        core = self.console.core
        try:
            features = core.kernel.features()
            with core.db.writer() as session:
                stored, ended = intents.submit(
                    session=session,
                    text=sentence,
                    actor=self.console.actor,
                    now=core.clock.now(),
                    replaces=replaces,
                    features=features,
                )
        except IntentConflict as exc:
            answer(self, self._conflicted, sentence, exc, replaces)
            return
        except (WardenError, SQLAlchemyError) as exc:
            answer(self, self.refused, exc)
            return
        ids = ", ".join(f"#{i.id}" for i in stored) or "none"
        message = f"intent {ids} submitted" + (f"; ended {ended}" if ended else "")
        answer(self, self._applied, message)

    def _applied(self, message: str) -> None:
        self.outcome_of = ""
        self.notify(message)
        self.bar.value = ""
        self.set_preview(Text(message, style="green"))
        self.reload()

    def _conflicted(self, sentence: str, exc: IntentConflict, tried: tuple[int, ...]) -> None:
        """Say the conflict; when live intents stand in the way (and replacing them was not
        what was just tried), offer to replace them: ``y`` ends them and stores this one."""
        self.fail(exc)
        self.outcome_of = self.bar.value
        live = tuple(exc.live_ids)
        named = ", ".join(f"#{i}" for i in live)
        preview = Text("Intent conflicts: ", style="bold red").append_text(
            plain("; ".join(exc.messages))
        )
        if not live or set(live) <= set(tried):
            self.set_preview(preview)
            return
        self.set_preview(preview.append(f"  (y in the dialog replaces {named})", style="yellow"))
        body = enforcement_note(self._daemon) if self._daemon is not None else Text()
        body.append("This intent conflicts with live intent " + named + ":\n")
        for message in exc.messages:
            body.append("  • ").append_text(plain(message)).append("\n")
        body.append(f"\ny: replace {named} — it ends and this one takes its place\n")
        body.append(f"n: keep {named} and change nothing", style="dim")
        self.app.push_screen(
            ConfirmDialog(f"Replace intent {named}?", body),
            lambda yes: self._submit(sentence, live) if yes else None,
        )

    def refused(self, exc: Exception) -> None:
        self.fail(exc)
        self.outcome_of = self.bar.value
        if isinstance(exc, WardenError):
            self.set_preview(Text(f"{exc.title}: ", style="bold red").append_text(plain(exc.msg)))

    # ---------------------------------------------------------------- list
    def action_revoke(self) -> None:
        key = self.selected_key
        if key is None:
            return
        intent_id = int(key)
        if not self.permitted(Permission.INTENTS_WRITE, f"revoke intent {intent_id}"):
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(
                    Permission.INTENTS_WRITE,
                    f"revoke intent {intent_id}",
                    lambda session, actor, now: intents.revoke(
                        session=session, intent_id=intent_id, actor=actor, now=now
                    ),
                    f"intent {intent_id} revoked",
                )

        self.app.push_screen(ConfirmDialog(f"Revoke intent {intent_id}?", Text("")), confirmed)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        found = [i for i in self.data or [] if str(i.id) == self.selected_key]
        if found:
            self.app.push_screen(TextDialog(f"Intent {found[0].id}", intent_text(found[0])))
