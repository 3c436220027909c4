"""Screen 4: the live log tail. Lines are polled in batches (every ``TAIL_EVERY_S``) into a
bounded buffer and written to one ``RichLog`` — no widget per line — coloured by class and
never parsed as markup. Space pauses and resumes; ``/`` filters."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from sqlmodel import Session
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, RichLog

from console.base_screen import WardenScreen
from console.format import LOG_CLASS_STYLE
from console.text import strip_ansi
from console.widgets import FilterBar
from core.clock import from_ms
from core.models import LogPublic
from core.services import logs

BUFFER = 2000
"""Lines kept (and shown) at most."""
TAIL_EVERY_S = 0.5
CLASS_WIDTH = max(len(name) for name in LOG_CLASS_STYLE)
"""The class column fits every class whole (``connectivity``)."""
BATCH = 5000
"""Lines read per poll at most; a busier router is caught up over the next polls."""


def log_line(line: LogPublic) -> Text:
    """One line: time, class (coloured), host, app, message — all literal text."""
    style = LOG_CLASS_STYLE.get(line.log_class, "")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{from_ms(line.ts):%H:%M:%S} ", style="dim")
    text.append(f"{line.log_class:<{CLASS_WIDTH}} ", style=style)
    text.append(strip_ansi(f"{line.host or '-'} {line.app or '-'}: "), style="bold")
    text.append(strip_ansi(line.message).replace("\n", " "), style=style)
    return text


class LogsScreen(WardenScreen[list[LogPublic]]):
    MODE_NAME = "logs"
    DEFAULT_CSS = """
    LogsScreen #caption { height: 1; padding: 0 1; }
    LogsScreen RichLog { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("space", "pause", "Pause/resume"),
        Binding("slash", "filter", "Filter"),
    ]
    HELP = "space    pause / resume the tail\n/        filter lines (host, app, class, text)\n"

    def __init__(self) -> None:
        super().__init__()
        self.buffer: deque[LogPublic] = deque(maxlen=BUFFER)
        self.last_id: int | None = None
        self.paused = False
        self.missed = 0
        self.inflight = False

    def compose_body(self) -> ComposeResult:
        yield Label("", id="caption")
        yield RichLog(max_lines=BUFFER, markup=False, highlight=False, wrap=False, id="tail")
        yield FilterBar()

    def on_mount(self) -> None:
        self.set_interval(TAIL_EVERY_S, self._tick)

    def _tick(self) -> None:
        if self.is_current:  # False (not an error) while the app closes
            self.reload()

    def reload(self) -> None:
        """One poll at a time: a tick while the last batch is still being read is skipped."""
        if not self.inflight:
            self.inflight = True
            super().reload()

    def fail(self, exc: Exception) -> None:
        self.inflight = False
        super().fail(exc)

    def fetch(self, session: Session) -> list[LogPublic]:
        if self.last_id is None:  # start with the newest lines
            return list(reversed(logs.query_logs(session=session, limit=BUFFER).items))
        return logs.logs_after(session=session, after_id=self.last_id, limit=BATCH)

    def show(self, data: list[LogPublic]) -> None:
        self.inflight = False
        if self.last_id is None:
            self.last_id = max((line.id for line in data), default=0)
        elif data:
            self.last_id = data[-1].id
        self.buffer.extend(data)
        if self.paused:
            self.missed += len(data)
        else:
            self.write(data)
        self._caption()

    @property
    def filter_words(self) -> list[str]:
        return self.query_one(FilterBar).value.lower().split()

    def matches(self, line: LogPublic) -> bool:
        words = self.filter_words
        if not words:
            return True
        hay = f"{line.log_class} {line.host or ''} {line.app or ''} {line.message}".lower()
        return all(word in hay for word in words)

    def write(self, lines: list[LogPublic]) -> None:
        tail = self.query_one(RichLog)
        for line in lines[-BUFFER:]:
            if self.matches(line):
                tail.write(log_line(line), scroll_end=True)

    def rewrite(self) -> None:
        self.query_one(RichLog).clear()
        self.write(list(self.buffer))
        self._caption()

    def _caption(self) -> None:
        state = Text("paused", style="bold yellow") if self.paused else Text("live", style="green")
        text = Text("tail ").append_text(state)
        text.append(f" · {len(self.buffer)} lines buffered (last {BUFFER})", style="dim")
        if self.missed:
            text.append(f" · {self.missed} new while paused", style="yellow")
        if self.filter_words:
            text.append(" · filtered", style="cyan")
        self.query_one("#caption", Label).update(text)

    def action_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            self.missed = 0
            self.rewrite()
        else:
            self._caption()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar):
            self.rewrite()
