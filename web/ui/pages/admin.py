"""``/admin``: users and roles, device API keys, the audit log, the settings in force and
the system (version, database, daemon). Admins only: anyone else sees that, and nothing
is read for them. Secrets never reach the page: API keys are shown once, in a dialog,
when made; settings come masked from ``core.services.system``.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from core.config import ENV_PREFIX
from core.errors import NotFound, WardenError
from core.models import ApiKeyPublic, ChangePublic, DevicePublic, Outcome, UserPublic
from core.permissions import Permission
from core.services import apikeys, audit, devices, users
from core.services.system import SystemInfo, mask_credentials, masked_settings, system_info
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.frame import open_page
from web.ui.live import concerns
from web.ui.pages.admin_cluster import ClusterPanel
from web.ui.pages.admin_users import UsersTab
from web.ui.session import actor_for
from web.ui.widgets import chip, show_key_once, when, why_not

AUDIT_PAGE = 100
SCOPES = list(apikeys.SCOPES)
ANY = "any"


def register(web: WebContext) -> None:
    @ui.page("/admin")
    async def admin_page() -> None:
        user = await open_page("Admin")
        if user is None:
            return
        reason = why_not(user, Permission.USERS_MANAGE)
        if reason:
            with ui.card().classes("w-full q-pa-md").mark("admins-only"):
                ui.label("Admins only.").classes("text-h6")
                ui.label(f"This page manages users, keys and settings; it {reason}.")
            return
        await AdminView(web, user).build()


class AdminView:
    def __init__(self, web: WebContext, user: UserPublic) -> None:
        self.web, self.user = web, user
        self.users = UsersTab(web, user)
        self.keys = KeysTab(web)
        self.audit = AuditTab(web, user)
        self.left = False

    async def build(self) -> None:
        # The tabs wrap onto a second line on a phone rather than scroll sideways.
        with (
            ui.tabs()
            .classes("w-full")
            .props('align=left inline-label dense no-caps content-class="flex-wrap"') as tabs
        ):
            users_tab = ui.tab("Users", icon="group").mark("tab-users")
            keys_tab = ui.tab("API keys", icon="vpn_key").mark("tab-keys")
            audit_tab = ui.tab("Audit log", icon="history").mark("tab-audit")
            settings_tab = ui.tab("Settings", icon="settings").mark("tab-settings")
            system_tab = ui.tab("System", icon="info").mark("tab-system")
        with ui.tab_panels(tabs, value=users_tab).classes("w-full"):
            with ui.tab_panel(users_tab).classes("q-px-none"):
                await self.users.build()
            with ui.tab_panel(keys_tab).classes("q-px-none"):
                await self.keys.build()
            with ui.tab_panel(audit_tab).classes("q-px-none"):
                await self.audit.build()
            with ui.tab_panel(settings_tab).classes("q-px-none"):
                await self._settings()
            with ui.tab_panel(system_tab).classes("q-px-none"):
                await self._system()
        self.web.hub.changed.subscribe(self.on_change)

    async def on_change(self, kinds: frozenset[str]) -> None:
        if not await self._still_admin():
            return
        if concerns(kinds, "user."):
            await self.users.reload()
        if concerns(kinds, "device."):
            await self.keys.reload()
        await self.audit.reload()  # every change is an audit entry

    async def _still_admin(self) -> bool:
        """A page left open by someone since demoted, disabled or signed out stops
        following (and goes back through the sign-in check) instead of reading on."""
        name = self.user.name
        try:
            now = await read(lambda session: users.get_user(session=session, name=name))
        except NotFound:
            now = None
        if (
            now is not None
            and not now.disabled
            and now.updated_at == self.user.updated_at  # no new role, password, ...
            and why_not(now, Permission.USERS_MANAGE) is None
        ):
            return True
        if not self.left:
            self.left = True
            ui.navigate.to("/admin")
        return False

    async def _settings(self) -> None:
        settings, actor = self.web.core.settings, actor_for(self.user)
        shown = masked_settings(settings=settings, actor=actor)
        ui.label("The settings in force (environment, file, defaults); secrets masked.").classes(
            "text-caption"
        )
        with ui.column().classes("w-full gap-0").mark("settings"):
            for name, value in shown.items():
                with ui.row().classes("w-full gap-2 no-wrap items-baseline q-py-xs"):
                    ui.label(f"{ENV_PREFIX}{name.upper()}").classes(
                        "text-mono text-caption w-1/2 break-all"
                    )
                    ui.label(value or "—").classes("w-1/2 break-all").mark(f"setting-{name}")

    async def _system(self) -> None:
        actor = actor_for(self.user)
        info: SystemInfo = await read(
            lambda _session: system_info(settings=self.web.core.settings, actor=actor)
        )
        with ui.card().classes("w-full q-pa-sm").mark("system"):
            _fact("Warden version", info.version)
            _fact("Database", info.database)
            size = "—" if info.size_bytes is None else f"{info.size_bytes / 1_048_576:.1f} MiB"
            _fact("Size on disk", size if info.backend == "sqlite" else f"({info.backend} server)")
            _fact("Backups", "none: Warden keeps no backups of its own yet")
        self.daemon_section = ui.refreshable(self._daemon)
        self.daemon_section()
        self.web.hub.status.subscribe(lambda _summary: self.daemon_section.refresh())
        await ClusterPanel(self.web).build()

    def _daemon(self) -> None:
        summary = self.web.hub.last
        with ui.card().classes("w-full q-pa-sm q-mt-sm").mark("daemon"):
            ui.label("Daemon").classes("text-subtitle1")
            if summary is None:
                ui.label("not known yet")
                return
            daemon = summary.daemon
            _fact("State", daemon.label)
            _fact("PID", str(daemon.pid or "—"))
            _fact("Last heartbeat", daemon.last_heartbeat or "—")
            _fact("Queues", f"{daemon.queue_depth} messages, {daemon.log_queue_depth} log lines")
            for backend, mode in sorted(daemon.enforcement.items()):
                _fact(f"Enforcement ({backend})", mode)
            for why in daemon.dry_run_reasons:
                _fact("Dry run", why)
            if not daemon.brokers:
                _fact("MQTT brokers", "none reported")
            for broker in daemon.brokers:
                _fact(
                    "MQTT broker",
                    f"{mask_credentials(broker.url)}: "
                    + ("connected" if broker.connected else "not connected"),
                )


def _fact(name: str, value: str) -> None:
    with ui.row().classes("w-full gap-2 wrap items-baseline"):
        ui.label(name).classes("text-caption opacity-80 w-40")
        ui.label(value).classes("break-all")


class KeysTab:
    """Device API keys: pick a device, see its keys (prefixes only), create, rotate,
    revoke. A new key is shown once."""

    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.devices: list[DevicePublic] = []
        self.device: str | None = None
        self.keys: list[ApiKeyPublic] = []
        self.listing = ui.refreshable(self._listing)

    async def build(self) -> None:
        self.devices = await read(lambda session: devices.list_devices(session=session).items)
        if not self.devices:
            ui.label("No devices are registered; keys belong to devices.").mark("no-devices")
            return
        self.device = self.devices[0].id
        with ui.row().classes("w-full gap-2 wrap items-center"):
            ui.select(
                {d.id: f"{d.id} ({d.name})" if d.name else d.id for d in self.devices},
                value=self.device,
                label="Device",
                on_change=self._pick,
            ).props("dense outlined").classes("min-w-[14rem]").mark("key-device")
            self.scopes = (
                ui.select(SCOPES, value=["telemetry"], multiple=True, label="Scopes")
                .props("dense outlined use-chips")
                .classes("min-w-[12rem]")
                .mark("key-scopes")
            )
        await self.load()
        self.holder = ui.element()  # dialogs live here, out of the redrawn listing
        self.listing()

    async def _pick(self, event: Any) -> None:
        self.device = event.value
        await self.reload()

    async def load(self) -> None:
        device = self.device
        if device is None:
            return
        self.keys = await read(lambda session: apikeys.list_keys(session=session, device_id=device))

    async def reload(self) -> None:
        await self.load()
        self.listing.refresh()

    def _listing(self) -> None:
        active = [k for k in self.keys if k.revoked_at is None]
        with ui.row().classes("gap-2 q-my-sm wrap"):
            if active:
                ui.button("Rotate", icon="autorenew", on_click=lambda: self.make(rotate=True)).mark(
                    "rotate-key"
                )
                ui.button("Revoke", icon="block", color="negative", on_click=self.revoke).mark(
                    "revoke-key"
                )
            else:
                ui.button("Create key", icon="add", on_click=lambda: self.make(rotate=False)).mark(
                    "create-key"
                )
        with ui.column().classes("w-full gap-1").mark("key-list"):
            if not self.keys:
                ui.label("This device has no API keys.")
            for key in self.keys:
                with ui.row().classes("w-full gap-3 wrap items-center"):
                    ui.label(f"{key.prefix}…").classes("text-mono").mark(f"key-{key.id}")
                    ui.label(key.scopes).classes("text-caption")
                    ui.label(f"made {when(key.created_at)}").classes("text-caption")
                    ui.label(f"last used {when(key.last_used_at)}").classes("text-caption")
                    if key.revoked_at:
                        chip(f"revoked {when(key.revoked_at)}", "grey")
                    else:
                        chip("active", "positive")

    async def make(self, *, rotate: bool) -> None:
        device, scopes = self.device, list(self.scopes.value or [])
        service = apikeys.rotate_key if rotate else apikeys.create_key
        made = await act(
            Permission.DEVICE_KEYS,
            lambda session, actor: service(
                session=session,
                device_id=device,
                scopes=scopes,
                actor=actor,
                now=self.web.core.clock.now(),
            ),
        )
        if made is None:
            return
        key, plaintext = made
        with self.holder:
            show_key_once(key.device_id, plaintext)
        await self.reload()

    async def revoke(self) -> None:
        device = self.device
        revoked = await act(
            Permission.DEVICE_KEYS,
            lambda session, actor: apikeys.revoke_keys(
                session=session, device_id=device, actor=actor, now=self.web.core.clock.now()
            ),
        )
        if revoked is not None:
            ui.notify(f"{revoked} key(s) of {device} revoked", type="positive")
        await self.reload()


class AuditTab:
    """The audit log, newest first, filtered by actor and outcome, paged backwards."""

    def __init__(self, web: WebContext, user: UserPublic) -> None:
        self.web, self.user = web, user
        self.entries: list[ChangePublic] = []
        self.older = False
        """Whether entries older than those shown exist."""
        self.actor_name = ""
        self.outcome = ANY
        self.limit = AUDIT_PAGE
        self.listing = ui.refreshable(self._listing)

    async def build(self) -> None:
        with ui.row().classes("w-full gap-2 wrap items-center"):
            ui.input("Actor", on_change=self._set_actor).props(
                "dense outlined clearable debounce=300"
            ).mark("audit-actor")
            ui.select(
                [ANY, *(o.value for o in Outcome)],
                value=ANY,
                label="Outcome",
                on_change=self._set_outcome,
            ).props("dense outlined").classes("w-32").mark("audit-outcome")
        await self.load()
        self.listing()

    async def _set_actor(self, event: Any) -> None:
        self.actor_name = (event.value or "").strip()
        await self.reload()

    async def _set_outcome(self, event: Any) -> None:
        self.outcome = event.value or ANY
        await self.reload()

    async def load(self) -> None:
        actor = actor_for(self.user)
        name, outcome, limit = self.actor_name or None, self.outcome, self.limit
        try:
            page = await read(
                lambda session: audit.list_audit(
                    session=session,
                    actor=actor,
                    actor_name=name,
                    outcome=None if outcome == ANY else Outcome(outcome),
                    limit=limit,
                )
            )
            self.entries, self.older = page.items, page.more
        except WardenError as error:
            ui.notify(f"{error.title}: {error.msg}", type="negative")
            self.entries, self.older = [], False

    async def reload(self) -> None:
        await self.load()
        self.listing.refresh()

    async def more(self) -> None:
        self.limit = min(self.limit + AUDIT_PAGE, audit.MAX_LIMIT)
        await self.reload()

    def _listing(self) -> None:
        with ui.column().classes("w-full gap-0 q-mt-sm").mark("audit-list"):
            if not self.entries:
                ui.label("No entries.")
            for entry in self.entries:
                with (
                    ui.row()
                    .classes("w-full gap-2 wrap items-baseline q-py-xs")
                    .mark(f"audit-{entry.id}")
                ):
                    ui.label(when(entry.at)).classes("text-mono text-caption")
                    denied = entry.outcome == Outcome.DENIED
                    chip(entry.outcome.value, "negative" if denied else "positive")
                    ui.label(entry.actor).classes("text-weight-medium")
                    origin = f"via {entry.origin.value}"
                    if entry.address:
                        origin += f" from {entry.address}"
                    ui.label(origin).classes("text-caption")
                    ui.label(entry.kind).classes("text-caption text-mono")
                    ui.label(entry.summary).classes("break-all")
        if self.older and self.limit < audit.MAX_LIMIT:
            ui.button("Older entries", on_click=self.more).props("flat dense").mark("audit-more")
