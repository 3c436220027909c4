"""The small form behind ``c`` on a device: which command, and its parameters."""

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

COMMAND_CHOICES = ("request_status", "reboot", "update_config")


@dataclass(frozen=True)
class CommandRequest:
    cmd: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_params(text: str) -> dict[str, Any]:
    """``send_interval_s=60 hello_interval_s=30`` → a dict; whole numbers become ints
    (the protocol validates ranges when the command is queued)."""
    params: dict[str, Any] = {}
    for pair in text.replace(",", " ").split():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{pair!r} is not KEY=VALUE")
        params[key] = int(value) if value.lstrip("-").isdigit() else value
    return params


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
        with Vertical():
            yield Label(Text(f"Send a command to {self.device_id}"), classes="title")
            yield Select(
                [(c, c) for c in COMMAND_CHOICES], value=COMMAND_CHOICES[0], allow_blank=False
            )
            yield Input(placeholder="update_config: send_interval_s=60 …", id="params")
            yield Label("", id="error")
            yield Label("enter: send    escape: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._send()

    def _send(self) -> None:
        cmd = str(self.query_one(Select).value)
        try:
            params = parse_params(self.query_one("#params", Input).value)
        except InvalidInput as exc:
            self.query_one("#error", Label).update(Text(exc.msg))
            return
        self.dismiss(CommandRequest(cmd=cmd, params=params))

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.query_one("#params", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
