"""Screen 1: the fleet. Status in colour, type, last seen, address, firmware; ``s`` cycles
the sort column, ``/`` filters, enter opens a device."""

from __future__ import annotations

from rich.text import Text
from sqlmodel import Session
from textual.binding import Binding
from textual.widgets import DataTable

from console.format import STATUS_STYLE, ago, styled
from console.table_screen import Row, TableScreen
from console.text import plain
from core.models import DevicePublic
from core.services import devices

SORTS = ("id", "status", "type", "last seen", "ip")


def _sort_key(column: str, device: DevicePublic) -> tuple:
    if column == "status":
        return (str(device.status), device.id)
    if column == "type":
        return (device.type, device.id)
    if column == "last seen":  # most recent first
        seen = device.last_seen.timestamp() if device.last_seen else float("-inf")
        return (-seen, device.id)
    if column == "ip":
        parts = (device.ip or "").split(".")
        return (tuple(int(p) if p.isdigit() else 999 for p in parts) if device.ip else (999,),)
    return (device.id,)


class DevicesScreen(TableScreen[list[DevicePublic]]):
    MODE_NAME = "devices"
    ENTITIES = ("device",)
    COLUMNS = (
        ("status", "status"),
        ("id", "id"),
        ("name", "name"),
        ("type", "type"),
        ("seen", "last seen"),
        ("ip", "ip"),
        ("firmware", "firmware"),
    )
    RELOAD_ON_TICK = True  # devices are seen without a change-feed row (a chatty fleet)
    BINDINGS = [Binding("s", "sort", "Sort")]
    HELP = (
        "enter    open the device (charts, commands, findings, intents)\n"
        "s        next sort column\n"
    )

    def __init__(self) -> None:
        super().__init__()
        self.sort_column = SORTS[0]

    def fetch(self, session: Session) -> list[DevicePublic]:
        return devices.list_devices(session=session).items

    def make_rows(self, data: list[DevicePublic]) -> list[Row]:
        now = self.console.core.clock.now()
        ordered = sorted(data, key=lambda d: _sort_key(self.sort_column, d))
        return [
            (
                d.id,
                (
                    styled(str(d.status), STATUS_STYLE),
                    plain(d.id),
                    plain(d.name or ""),
                    plain(d.type),
                    Text(ago(d.last_seen, now)),
                    plain(d.ip),
                    plain(d.firmware),
                ),
            )
            for d in ordered
        ]

    def show(self, data: list[DevicePublic]) -> None:
        super().show(data)
        self.set_caption(
            f"{len(self.visible_rows())} of {len(data)} devices · sorted by {self.sort_column}"
        )

    def action_sort(self) -> None:
        self.sort_column = SORTS[(SORTS.index(self.sort_column) + 1) % len(SORTS)]
        if self.data is not None:
            self.show(self.data)
        self.notify(f"sorted by {self.sort_column}", timeout=1.5)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        from console.device_screen import DeviceScreen

        key = self.selected_key
        if key is not None:
            self.app.push_screen(DeviceScreen(key))
