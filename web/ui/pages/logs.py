"""The logs page: a live tail of what the routers and devices log, filtered by host, class
and text, coloured by class, with the filter text highlighted; pause and resume.

It keeps up with a busy router without freezing the browser: one ``LogTail`` per process
reads the lines stored since its last read (only while a logs page is open) and hands
them, one batch per poll, to every open page; each page keeps the newest ``BUFFER`` lines
that pass its filters and updates one table in place (no element per line). When the
backlog is larger than a page can show, the tail skips ahead and says how many lines it
skipped. Log lines are untrusted: they are shown as table text only (Vue text
interpolation, never HTML).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from nicegui import app, run, ui

from core.clock import from_ms
from core.models import LogPublic
from core.runtime import Core
from core.services import logs
from core.syslog import LogClass
from web.ui.calls import read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import PageEvent

log = logging.getLogger(__name__)

BUFFER = 500
"""Lines a page keeps (and shows) at most."""
TAIL_S = 0.5
BATCH = 5000
"""Lines the tail reads per poll at most."""
DEBOUNCE_S = 0.3
CLASS_COLOURS = {
    "wifi": "blue",
    "auth": "deep-orange",
    "dhcp": "teal",
    "connectivity": "purple",
    "firewall": "red",
    "system": "blue-grey",
    "generic": "grey",
}
PHONE_HIDDEN = {"classes": "gt-xs", "headerClasses": "gt-xs"}
"""Column keys that hide a column on a phone (Quasar's ``gt-xs``: shown from 600 px)."""
COLUMNS = [
    {"name": "time", "label": "Time", "field": "time", "align": "left"},
    {"name": "log_class", "label": "Class", "field": "log_class", "align": "left"},
    {"name": "host", "label": "Host", "field": "host", "align": "left", **PHONE_HIDDEN},
    {"name": "app", "label": "App", "field": "app", "align": "left", **PHONE_HIDDEN},
    {"name": "message", "label": "Message", "field": "message", "align": "left"},
]
"""Time and class stay whole (``nowrap``); the message takes the rest and wraps. On a phone
the host and app move into the message cell, so the message is on screen."""
TIME_CELL = """
<q-td :props="props" style="white-space: nowrap; width: 1%">{{ props.value }}</q-td>
"""
CLASS_CELL = """
<q-td :props="props" style="white-space: nowrap; width: 1%">
<q-badge :color="props.row.colour" :label="props.value" /></q-td>
"""
MESSAGE_CELL = """
<q-td :props="props" :class="props.row.tone"
 style="white-space: pre-wrap; overflow-wrap: anywhere; min-width: 10rem">
<div class="lt-sm text-caption text-grey">{{ props.row.host }} {{ props.row.app }}</div>
{{ props.row.pre }}<mark v-if="props.row.hit">{{ props.row.hit }}</mark>{{ props.row.post }}
</q-td>
"""


@dataclass(frozen=True)
class Batch:
    lines: list[LogPublic]
    skipped: int = 0
    """Lines passed over because the backlog was larger than a page keeps."""


class LogTail:
    """Follows the log table for every open logs page: one read per poll, however many
    pages are open, and none while none is."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.batches: PageEvent[Batch] = PageEvent()
        self.last_id: int | None = None
        self._busy = False

    def follow_from(self, seen_id: int) -> None:
        """A page has shown every line up to ``seen_id``: read on from there at the latest."""
        self.last_id = seen_id if self.last_id is None else min(self.last_id, seen_id)

    async def poll(self) -> None:
        if self._busy or self.last_id is None:
            return
        if not self.batches.callbacks:
            self.last_id = None  # nobody watches: read nothing until a page opens
            return
        self._busy = True
        try:
            batch = await run.io_bound(self._read, self.last_id)
        except Exception:  # the database went away for a moment: try again next tick
            log.warning("log tail poll failed", exc_info=True)
            return
        finally:
            self._busy = False
        if batch.lines:
            self.last_id = max(self.last_id or 0, batch.lines[-1].id)
            self.batches.emit(batch)

    def _read(self, after_id: int) -> Batch:
        with self.core.db.reader() as session:
            newest = logs.last_log_id(session=session)
            skipped = 0
            if newest - after_id > BATCH:
                skipped = newest - BATCH - after_id
                after_id = newest - BATCH
            return Batch(logs.logs_after(session=session, after_id=after_id, limit=BATCH), skipped)


@dataclass
class Filters:
    host: str = ""
    log_class: str = ""
    text: str = ""

    def matches(self, line: LogPublic) -> bool:
        if self.host and line.host != self.host:
            return False
        if self.log_class and line.log_class != self.log_class:
            return False
        return not self.text or self.text.lower() in line.message.lower()


def row(line: LogPublic, filters: Filters) -> dict[str, Any]:
    """A table row: plain values only, the filter text split out for highlighting."""
    message = line.message
    pre, hit, post = message, "", ""
    if filters.text:
        at = message.lower().find(filters.text.lower())
        if at >= 0:
            end = at + len(filters.text)
            pre, hit, post = message[:at], message[at:end], message[end:]
    tone = "text-negative" if line.severity <= 3 else "text-warning" if line.severity == 4 else ""
    return {
        "id": line.id,
        "time": f"{from_ms(line.ts).astimezone():%H:%M:%S}",
        "log_class": line.log_class,
        "colour": CLASS_COLOURS.get(line.log_class, "grey"),
        "host": line.host or "—",
        "app": line.app or "—",
        "message": message,
        "pre": pre,
        "hit": hit,
        "post": post,
        "tone": tone,
    }


class LogsPage:
    """A live tail: the newest lines first, filters, pause; fed by the shared ``LogTail``."""

    def __init__(self, tail: LogTail) -> None:
        self.tail = tail
        self.filters = Filters()
        self.buffer: deque[dict[str, Any]] = deque(maxlen=BUFFER)
        self.seen = 0
        """The newest line id this page has taken in."""
        self.paused = False
        self.missed = 0
        self.skipped = 0
        self.generation = 0
        """Bumped by every filter change: an older read that ends late is dropped."""

    async def build(self) -> None:
        with ui.row().classes("items-center gap-2 w-full flex-wrap"):
            ui.input("Host", on_change=lambda e: self.refilter("host", e.value)).props(
                "clearable dense outlined"
            ).classes("w-40").mark("filter-host")
            ui.select(
                {"": "all classes", **{c.value: c.value for c in LogClass}},
                value="",
                label="Class",
                on_change=lambda e: self.refilter("log_class", e.value),
            ).props("dense outlined").classes("w-40").mark("filter-class")
            ui.input("Text", on_change=lambda e: self.refilter("text", e.value)).props(
                "clearable dense outlined"
            ).classes("w-56").mark("filter-text")
            self.pause = (
                ui.button("Pause", icon="pause", on_click=self.toggle_pause)
                .props("flat")
                .mark("pause")
            )
            ui.space()
            self.status = ui.label("").classes("text-caption").mark("tail-status")
        self.table = (
            ui.table(columns=COLUMNS, rows=[], row_key="id")
            .props("dense flat bordered virtual-scroll")
            .classes("w-full")
            .style("max-height: 70vh")
            .mark("log-tail")
        )
        self.table.add_slot("body-cell-time", TIME_CELL)
        self.table.add_slot("body-cell-log_class", CLASS_CELL)
        self.table.add_slot("body-cell-message", MESSAGE_CELL)
        self.tail.batches.subscribe(self.on_batch)
        await self.reload()

    def caption(self) -> None:
        parts = ["paused" if self.paused else "live", f"{len(self.buffer)} lines (last {BUFFER})"]
        if self.missed:
            parts.append(f"{self.missed} new while paused")
        if self.skipped:
            parts.append(f"{self.skipped} skipped to keep up")
        self.status.set_text(" · ".join(parts))

    def show(self) -> None:
        self.table.rows = list(reversed(self.buffer))  # newest first
        self.table.update()
        self.caption()

    async def reload(self) -> None:
        self.generation += 1
        mine, filters = self.generation, self.filters
        newest, found = await read(
            lambda session: (
                logs.last_log_id(session=session),
                logs.query_logs(
                    session=session,
                    host=filters.host or None,
                    log_class=filters.log_class or None,
                    contains=filters.text or None,
                    limit=BUFFER,
                ).items,
            )
        )
        if mine != self.generation:
            return  # the filters changed again while this was read
        self.buffer.clear()
        self.buffer.extend(row(line, filters) for line in reversed(found) if line.id <= newest)
        self.seen = max(newest, self.seen)
        self.tail.follow_from(self.seen)
        self.missed = 0
        self.show()

    async def refilter(self, field: str, value: Any) -> None:
        setattr(self.filters, field, (value or "").strip())
        self.generation += 1
        mine = self.generation
        await asyncio.sleep(DEBOUNCE_S)
        if mine == self.generation:
            await self.reload()

    def on_batch(self, batch: Batch) -> None:
        fresh = [line for line in batch.lines if line.id > self.seen]
        if not fresh:
            return
        self.seen = fresh[-1].id
        self.skipped += batch.skipped
        shown = [row(line, self.filters) for line in fresh if self.filters.matches(line)]
        self.buffer.extend(shown)
        if self.paused:
            self.missed += len(shown)
            self.caption()
        elif shown or batch.skipped:
            self.show()

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.pause.set_text("Resume" if self.paused else "Pause")
        self.pause.props(f"icon={'play_arrow' if self.paused else 'pause'}")
        if not self.paused:
            self.missed = 0
            self.show()
        else:
            self.caption()


def register(web: WebContext) -> None:
    tail = LogTail(web.core)
    app.timer(TAIL_S, tail.poll)

    @ui.page("/logs")
    async def logs_page() -> None:
        if await open_page("Logs") is not None:
            await LogsPage(tail).build()
