"""The fleet: a searchable, sortable table of every device, live; admins register devices
here (and get the new device's API key, shown once). ``/devices/{id}`` is one device
(``device_detail``)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any
from urllib.parse import quote

from nicegui import ui
from pydantic import ValidationError
from sqlmodel import Session

from core.clock import Clock
from core.models import Actor, ApiKeyPublic, DeviceCreate, DevicePublic, UserPublic
from core.permissions import Permission
from core.services import apikeys, devices
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.pages.device_detail import device_page
from web.ui.widgets import STATUS_COLOURS, Ages, ago, guarded_button, show_key_once

PHONE = ("status", "id", "last_seen")
"""The columns a phone shows (the rest from 600 px up: Quasar's ``gt-xs``)."""
COLUMNS: list[dict[str, Any]] = [
    {
        "name": name,
        "label": label,
        "field": field,
        "sortable": True,
        "align": "left",
        **({} if name in PHONE else {"classes": "gt-xs", "headerClasses": "gt-xs"}),
    }
    for name, label, field in (
        ("status", "Status", "status"),
        ("id", "Id", "id"),
        ("name", "Name", "name"),
        ("type", "Type", "type"),
        ("location", "Location", "location"),
        ("firmware", "Firmware", "firmware"),
        ("last_seen", "Last seen", "seen_ms"),
        ("ip", "IP", "ip"),
    )
]
STATUS_CELL = """
<q-td :props="props">
  <q-badge :color="props.row.colour" :label="props.value" />
  <q-badge v-if="!props.row.enabled" color="grey" outline label="disabled" class="q-ml-xs" />
</q-td>
"""
SEEN_CELL = '<q-td :props="props" style="white-space: nowrap">{{ props.row.ago }}</q-td>'
"""Sorted by the time itself, shown as "3 min ago" (text interpolation: escaped)."""


def matches(device: DevicePublic, text: str) -> bool:
    """Whether the search text occurs (case-insensitively) in the device's id, name, type,
    location or IP."""
    needle = text.strip().casefold()
    fields = (device.id, device.name, device.type, device.location, device.ip)
    return not needle or any(needle in (f or "").casefold() for f in fields)


def row(device: DevicePublic, now: datetime) -> dict[str, Any]:
    return {
        "id": device.id,
        "status": device.status.value,
        "colour": STATUS_COLOURS.get(device.status.value, "grey"),
        "enabled": device.enabled,
        "name": device.name,
        "type": device.type,
        "location": device.location or "",
        "firmware": device.firmware or "",
        "seen_ms": int(device.last_seen.timestamp() * 1000) if device.last_seen else 0,
        "ago": ago(device.last_seen, now),
        "ip": device.ip or "",
    }


def _register_with_key(
    session: Session, actor: Actor, create: DeviceCreate, now: datetime
) -> tuple[DevicePublic, ApiKeyPublic, str]:
    device = devices.register_device(session=session, create=create, actor=actor)
    key, plaintext = apikeys.create_key(session=session, device_id=device.id, actor=actor, now=now)
    return device, key, plaintext


def _register_form(clock: Clock, user: UserPublic, host: ui.element, reload: Any) -> ui.button:
    """The "Register device" button and its dialog."""
    with host, ui.dialog() as dialog, ui.card().classes("w-full max-w-md").mark("register-form"):
        ui.label("Register a device").classes("text-h6")
        device_id = ui.input("Id", placeholder="meter-7").classes("w-full").mark("new-id")
        kind = ui.input("Type", placeholder="power_meter").classes("w-full").mark("new-type")
        name = ui.input("Name (defaults to the id)").classes("w-full").mark("new-name")
        location = ui.input("Location").classes("w-full").mark("new-location")
        ip = ui.input("IP address").classes("w-full").mark("new-ip")
        problem = ui.label("").classes("text-negative").mark("register-error")

        async def submit() -> None:
            address = (ip.value or "").strip()
            if address:
                try:
                    ipaddress.ip_address(address)
                except ValueError:
                    problem.set_text(f"{address} is not an IP address")
                    return
            try:
                create = DeviceCreate(
                    id=(device_id.value or "").strip(),
                    type=(kind.value or "").strip() or "unknown",
                    name=(name.value or "").strip(),
                    location=(location.value or "").strip() or None,
                    ip=address or None,
                )
            except ValidationError as invalid:
                problem.set_text("; ".join(e["msg"] for e in invalid.errors()))
                return
            now = clock.now()
            result = await act(
                Permission.DEVICES_WRITE,
                lambda session, actor: _register_with_key(session, actor, create, now),
                done=f"{create.id} registered",
            )
            if result is None:
                return
            problem.set_text("")
            for field in (device_id, kind, name, location, ip):
                field.set_value("")
            dialog.close()
            device, _, plaintext = result
            show_key_once(device.id, plaintext, host=host)
            await reload()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Register", on_click=submit).mark("register-submit")
    return guarded_button(
        "Register device",
        marker="register-device",
        user=user,
        permission=Permission.DEVICES_WRITE,
        on_click=dialog.open,
        icon="add",
    )


class DevicesPage:
    """The fleet table: search, sort, open a device; register one (admin)."""

    def __init__(self, web: WebContext, user: UserPublic) -> None:
        self.web, self.core, self.user = web, web.core, user
        self.fleet: list[DevicePublic] = []

    async def build(self) -> None:
        host = ui.element("div")
        with ui.row().classes("w-full items-center gap-2"):
            self.search = (
                ui.input(placeholder="Search id, name, type, location, IP")
                .props("clearable dense outlined debounce=300")
                .classes("flex-1 min-w-48")
                .mark("device-search")
            )
            self.count = ui.label("").classes("text-caption").mark("device-count")
            ui.space()
            _register_form(self.core.clock, self.user, host, self.reload)
        self.table = (
            ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=50)
            .props("flat bordered dense")
            .classes("w-full cursor-pointer")
            .style("overflow-x: auto")
            .mark("devices")
        )
        self.table.add_slot("body-cell-status", STATUS_CELL)
        self.table.add_slot("body-cell-last_seen", SEEN_CELL)
        self.table.on(
            "rowClick",
            lambda e: ui.navigate.to(f"/devices/{quote(str(e.args[1]['id']), safe='')}"),
        )
        self.search.on_value_change(self.show)
        await self.reload()
        Ages(self.core.clock, also=self.show).start()  # rows go only when a text changed
        self.web.hub.changed.subscribe(self.on_change)

    def show(self) -> None:
        now = self.core.clock.now()
        text = self.search.value or ""
        shown = [row(d, now) for d in self.fleet if matches(d, text)]
        if shown != self.table.rows:
            self.table.rows = shown
            self.table.update()
        self.count.set_text(f"{len(shown)} of {len(self.fleet)} devices")

    async def reload(self) -> None:
        self.fleet = await read(lambda session: devices.list_devices(session=session).items)
        self.show()

    async def on_change(self, kinds: frozenset[str]) -> None:
        if concerns(kinds, "device."):
            await self.reload()


def register(web: WebContext) -> None:
    @ui.page("/devices")
    async def devices_page() -> None:
        user = await open_page("Devices")
        if user is not None:
            await DevicesPage(web, user).build()

    @ui.page("/devices/{device_id}")
    async def one_device_page(device_id: str) -> None:
        await device_page(web, device_id)
