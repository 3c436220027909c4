"""A screen around one table: rows by key, a ``/`` filter over every cell, ages that tick,
columns sized to their content with the free text last, and home/end on rows."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Label
from textual.widgets.data_table import CellDoesNotExist

from console.base_screen import Data, WardenScreen
from console.widgets import FilterBar

Row = tuple[str, tuple[Text, ...]]
"""A table row: its key and its cells (always ``Text``: never parsed as markup)."""


class WardenTable(DataTable[Text]):
    """A table of rows: ``home`` / ``end`` move the cursor to the first / last row (a
    row-cursor ``DataTable`` only scrolls sideways on them)."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]


class TableScreen(WardenScreen[Data]):
    DEFAULT_CSS = """
    TableScreen .caption { height: 1; padding: 0 1; }
    TableScreen DataTable { height: 1fr; }
    """

    """A screen around one ``DataTable`` with a ``/`` filter over every cell;
    ``make_rows`` turns what ``fetch`` returned into rows."""

    AUTO_FOCUS = "#table"
    TICK_S: ClassVar[float] = 1.0
    """How often, while the screen is in front, its rows are made again from the data it
    holds, so relative times ("12s ago") move on their own; only cells that changed are
    redrawn."""
    RELOAD_ON_TICK: ClassVar[bool] = False
    """Reload on each tick instead (for data that changes without a change-feed row, like
    a device's last-seen time)."""
    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(key, label) per column. Each is as wide as its widest cell, whole."""
    FLEX_COLUMN: ClassVar[str | None] = None
    """The column of long free text (a summary, an explanation), last: it takes the room
    the others leave (at least ``FLEX_MIN``) and its cells end in an ellipsis there."""
    FLEX_MIN: ClassVar[int] = 16
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("slash", "filter", "Filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: Data | None = None
        self.rows: list[Row] = []
        self._shown: list[str] = []
        """The keys of the rows in the table, in order."""

    def compose_body(self) -> ComposeResult:
        yield from self.compose_above()
        table = WardenTable(id="table", cursor_type="row", zebra_stripes=True)
        for key, label in self.COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield FilterBar()

    def compose_above(self) -> ComposeResult:
        yield Label("", id="caption", classes="caption")

    def on_mount(self) -> None:
        self.set_interval(self.TICK_S, self._tick)

    def _tick(self) -> None:
        if not self.is_current or self.data is None:  # is_current: False while closing
            return
        if self.RELOAD_ON_TICK:
            self.reload()
        else:
            self.rows = self.make_rows(self.data)
            self.render_rows()

    def set_caption(self, text: str) -> None:
        self.query_one("#caption", Label).update(Text(text, style="dim"))

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#table", DataTable)

    @property
    def filter_text(self) -> str:
        return self.query_one(FilterBar).value.strip().lower()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar):
            self.render_rows()

    def make_rows(self, data: Data) -> list[Row]:
        raise NotImplementedError

    def show(self, data: Data) -> None:
        self.data = data
        self.rows = self.make_rows(data)
        self.render_rows()

    def visible_rows(self) -> list[Row]:
        words = self.filter_text.split()
        if not words:
            return self.rows
        out = []
        for row in self.rows:
            haystack = " ".join(cell.plain for cell in row[1]).lower()
            if all(word in haystack for word in words):
                out.append(row)
        return out

    def render_rows(self) -> None:
        """Show ``visible_rows()``. The same rows in the same order (a reload that changed
        values, ages ticking) are updated cell by cell, so the cursor and the scroll stay
        put; otherwise the table is refilled and the cursor stays on the same row (by key)
        if the row is still shown."""
        table = self.table
        visible = self.visible_rows()
        keys = [key for key, _ in visible]
        flex = [key for key, _ in self.COLUMNS].index(self.FLEX_COLUMN) if self.FLEX_COLUMN else -1
        for _key, cells in visible:
            if flex >= 0:
                cells[flex].overflow = "ellipsis"
        if keys and keys == self._shown:
            columns = [key for key, _ in self.COLUMNS]
            for key, cells in visible:
                for column, cell in zip(columns, cells, strict=True):
                    if table.get_cell(key, column) != cell:
                        table.update_cell(key, column, cell, update_width=True)
        else:
            selected = self.selected_key
            table.clear()
            for key, cells in visible:
                table.add_row(*cells, key=key)
            self._shown = keys
            if selected in keys:
                table.move_cursor(row=keys.index(selected), animate=False)
        self.fit_columns()

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Give the flex column the width the other columns leave (they keep their widest
        cell's width, so an id or a rule name is never cut)."""
        if self.FLEX_COLUMN is None or not self.is_mounted:
            return
        table = self.table
        keys = [key for key, _ in self.COLUMNS]
        index = keys.index(self.FLEX_COLUMN)
        widths = [len(label) for _, label in self.COLUMNS]
        for _key, cells in self.visible_rows():
            widths = [max(w, cell.cell_len) for w, cell in zip(widths, cells, strict=True)]
        columns = list(table.columns.values())
        pad = 2 * table.cell_padding
        others = sum(
            max(width, column.content_width) + pad
            for i, (width, column) in enumerate(zip(widths, columns, strict=True))
            if i != index
        )
        room = table.size.width - table.scrollbar_size_vertical - others - pad
        width = max(self.FLEX_MIN, min(widths[index], room))
        column = columns[index]
        if column.auto_width or column.width != width:
            column.auto_width = False
            column.width = width
            table.refresh()

    @property
    def selected_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return key.value
