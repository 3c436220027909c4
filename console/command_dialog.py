"""The small form behind ``c`` on a device: which command (``core``'s catalog), and its
``KEY=VALUE`` parameters, read by the catalog before the dialog closes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from console.dialogs import DIALOG_CSS
from core.errors import InvalidInput
from core.protocol.command_catalog import CATALOG, CommandSpec, command_params, command_spec


@dataclass(frozen=True)
class CommandRequest:
    cmd: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> CommandSpec:
        return command_spec(self.cmd)


class CommandDialog(ModalScreen[CommandRequest | None]):
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="CommandDialog")
        + """
    CommandDialog #error { color: $error; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, device_id: str) -> None:
        super().__init__()
        self.device_id = device_id

    def compose(self) -> ComposeResult:
        first = CATALOG[0]
        with Vertical():
            yield Label(Text(f"Send a command to {self.device_id}"), classes="title")
            yield Select(
                [(f"{spec.name}: {spec.description}", spec.name) for spec in CATALOG],
                value=first.name,
                allow_blank=False,
            )
            yield Input(placeholder=first.example, id="params")
            yield Label("", id="error")
            yield Label("enter: send    escape: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._send()

    def _send(self) -> None:
        cmd = str(self.query_one(Select).value)
        try:
            params = command_params(cmd, self.query_one("#params", Input).value)
        except InvalidInput as exc:
            self.query_one("#error", Label).update(Text(exc.msg))
            return
        self.dismiss(CommandRequest(cmd=cmd, params=params))

    def on_select_changed(self, event: Select.Changed) -> None:
        params = self.query_one("#params", Input)
        params.placeholder = command_spec(str(event.value)).example
        self.query_one("#error", Label).update("")
        params.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
