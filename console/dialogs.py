"""Modal dialogs that return typed results: a yes/no confirmation, a line of text, and a
read-only text view (help, plans, evidence)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%;
    max-width: 100;
    height: auto;
    max-height: 90%;
    border: round $accent;
    background: $surface;
    padding: 0 1;
}}
{name} .title {{ text-style: bold; width: 1fr; }}
{name} .hint {{ color: $text-muted; }}
{name} VerticalScroll {{ height: auto; max-height: 30; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """``y`` (or enter) confirms, ``n`` (or escape) cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title), classes="title")
            with VerticalScroll():
                yield Static(self._body, id="body")
            yield Label("y / enter: yes    n / escape: no", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PromptDialog(ModalScreen[str | None]):
    """One line of text; enter returns it, escape returns None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        *,
        placeholder: str = "",
        value: str = "",
        suggestions: list[str] | None = None,
    ) -> None:
        super().__init__()
        self._title, self._placeholder, self._value = title, placeholder, value
        self._suggester = SuggestFromList(suggestions) if suggestions else None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title), classes="title")
            yield Input(
                value=self._value,
                placeholder=self._placeholder,
                suggester=self._suggester,
                id="answer",
            )
            yield Label("enter: ok    escape: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(ModalScreen[None]):
    """Something to read: scroll with the arrows, close with escape, q or enter."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TextDialog")
    BINDINGS = [Binding("escape,q,enter", "close", "Close")]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title), classes="title")
            with VerticalScroll():
                yield Static(self._body, id="body")
            yield Label("escape / q: close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
