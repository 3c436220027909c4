"""The users tab of ``/admin``: add users (the password policy's refusal is shown), change
roles, disable and enable, set someone's password (your own needs your current one). The
services refuse what would leave no enabled admin; the page shows why."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from core.models import Role, UserPublic
from core.passwords import MIN_LENGTH
from core.permissions import Permission
from core.services import users
from web.ui.calls import act, read
from web.ui.context import WebContext
from web.ui.session import actor_for
from web.ui.widgets import chip, when

ROLES = [role.value for role in Role]


class UsersTab:
    """One browser's users tab."""

    def __init__(self, web: WebContext, user: UserPublic) -> None:
        self.web, self.user = web, user
        self.rows: list[UserPublic] = []
        self.listing = ui.refreshable(self._listing)

    async def build(self) -> None:
        await self.load()
        self._add_form()
        self.holder = ui.element()  # dialogs live here, out of the redrawn listing
        self.listing()

    async def load(self) -> None:
        actor = actor_for(self.user)
        self.rows = await read(lambda session: users.list_users(session=session, actor=actor).items)

    async def reload(self) -> None:
        await self.load()
        self.listing.refresh()

    def _add_form(self) -> None:
        with ui.card().classes("w-full q-pa-sm").mark("add-user"):
            ui.label("Add a user").classes("text-subtitle1")
            with ui.row().classes("w-full gap-2 wrap items-start"):
                name = ui.input("Name").props("dense outlined").mark("new-user-name")
                password = (
                    ui.input("Password", password=True, password_toggle_button=True)
                    .props("dense outlined")
                    .mark("new-user-password")
                )
                role = (
                    ui.select(ROLES, value=Role.VIEWER.value, label="Role")
                    .props("dense outlined")
                    .classes("w-32")
                    .mark("new-user-role")
                )

                async def add() -> None:
                    added = await act(
                        Permission.USERS_MANAGE,
                        lambda session, actor: users.add_user(
                            session=session,
                            name=(name.value or "").strip(),
                            password=password.value or "",
                            role=Role(role.value),
                            actor=actor,
                            now=self.web.core.clock.now(),
                        ),
                        done=f"User {(name.value or '').strip()} added",
                    )
                    if added is not None:
                        name.set_value("")
                        password.set_value("")
                        await self.reload()

                ui.button("Add", icon="person_add", on_click=add).mark("add-user-button")
            ui.label(
                f"Passwords: at least {MIN_LENGTH} characters, not a common password, not the "
                "user name. Names: 2-32 of a-z 0-9 _ . - starting with a letter."
            ).classes("text-caption opacity-80")

    def _listing(self) -> None:
        with ui.column().classes("w-full gap-1 q-mt-sm").mark("user-list"):
            for row in self.rows:
                self._row(row)

    def _row(self, row: UserPublic) -> None:
        with (
            ui.card().classes("w-full q-pa-sm").mark(f"user-{row.name}"),
            ui.row().classes("items-center gap-3 w-full wrap"),
        ):
            ui.label(row.name).classes("text-weight-medium min-w-[6rem]")
            if row.name == self.user.name:
                chip("you", "grey")

            async def change_role(event: Any, name: str = row.name) -> None:
                await self.set_role(name, Role(event.value))

            ui.select(ROLES, value=row.role.value, on_change=change_role).props(
                "dense outlined"
            ).classes("w-32").mark(f"role-{row.name}")

            async def toggle(event: Any, name: str = row.name) -> None:
                await self.set_disabled(name, disabled=not event.value)

            ui.switch("enabled", value=not row.disabled, on_change=toggle).mark(
                f"enabled-{row.name}"
            )
            ui.label(f"last sign-in {when(row.last_login_at)}").classes("text-caption")
            ui.button(
                "Set password",
                icon="key",
                on_click=lambda name=row.name: self.password_dialog(name),
            ).props("dense flat").mark(f"password-{row.name}")

    async def set_role(self, name: str, role: Role) -> None:
        await act(
            Permission.USERS_MANAGE,
            lambda session, actor: users.set_role(
                session=session, name=name, role=role, actor=actor, now=self.web.core.clock.now()
            ),
            done=f"{name} is now {role.value}",
        )
        await self.reload()

    async def set_disabled(self, name: str, *, disabled: bool) -> None:
        await act(
            Permission.USERS_MANAGE,
            lambda session, actor: users.set_disabled(
                session=session,
                name=name,
                disabled=disabled,
                actor=actor,
                now=self.web.core.clock.now(),
            ),
            done=f"{name} {'disabled' if disabled else 'enabled'}",
        )
        await self.reload()

    def password_dialog(self, name: str) -> None:
        own = name == self.user.name
        with (
            self.holder,
            ui.dialog() as dialog,
            ui.card().classes("q-pa-md").mark("password-dialog"),
        ):
            ui.label(f"New password for {name}").classes("text-subtitle1")
            current = (
                ui.input("Current password", password=True).props("dense outlined") if own else None
            )
            new = (
                ui.input("New password", password=True, password_toggle_button=True)
                .props("dense outlined")
                .mark("new-password")
            )
            if not own:
                ui.label("Their sessions end; tell them the new password.").classes("text-caption")

            async def save() -> None:
                changed = await act(
                    Permission.USERS_MANAGE if not own else Permission.READ,
                    lambda session, actor: users.set_password(
                        session=session,
                        name=name,
                        password=new.value or "",
                        current_password=current.value if current else None,
                        actor=actor,
                        now=self.web.core.clock.now(),
                    ),
                    done=f"Password of {name} changed",
                )
                if changed is not None:
                    dialog.close()
                    if own:  # every session of ours ended with it
                        ui.navigate.to("/login")

            with ui.row().classes("justify-end w-full"):
                ui.button("Cancel", on_click=dialog.close).props("flat")
                ui.button("Set password", on_click=save).mark("save-password")
        dialog.on("hide", dialog.delete)
        dialog.open()
