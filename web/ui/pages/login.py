"""Signing in and out: the same users, throttling and audit as the REST API."""

from __future__ import annotations

from nicegui import ui

from core.errors import Throttled, Unauthenticated
from core.models import Origin, UserPublic
from core.services import users
from web.ui.context import WebContext
from web.ui.guard import safe_redirect
from web.ui.offload import io_bound
from web.ui.session import client_address, current_user, sign_in


class LoginPage:
    """The sign-in card: name, password, and why not (throttled, wrong, no users yet)."""

    def __init__(self, web: WebContext, target: str) -> None:
        self.core = web.core
        self.target = target

    def _login(self, name: str, password: str, address: str | None) -> UserPublic:
        with self.core.db.writer() as session:
            return users.login(
                session=session,
                name=name,
                password=password,
                address=address,
                now=self.core.clock.now(),
                origin=Origin.WEB,
            )

    def _has_users(self) -> bool:
        with self.core.db.reader() as session:
            return users.has_users(session=session)

    async def build(self) -> None:
        with ui.card().classes("absolute-center w-80 max-w-full"):
            ui.label("Warden").classes("text-h5")
            ui.label(f"Sign in to {self.core.settings.gateway_name}").classes(
                "text-subtitle2 text-grey-7"
            )
            self.name = ui.input("Name").props("autofocus autocomplete=username").classes("w-full")
            self.password = (
                ui.input("Password", password=True, password_toggle_button=True)
                .props("autocomplete=current-password")
                .classes("w-full")
            )
            self.problem = ui.label("").classes("text-negative").mark("login-error")
            if not await io_bound(self._has_users):
                self.problem.set_text(
                    "No users yet. On the gateway, run: warden users add NAME --role admin"
                )
            self.password.on("keydown.enter", self.attempt)
            ui.button("Sign in", on_click=self.attempt).classes("w-full")

    async def attempt(self) -> None:
        name, password = self.name.value, self.password.value
        if not name or not password:
            self.problem.set_text("Enter your name and password.")
            return
        try:
            user = await io_bound(self._login, name, password, client_address())
        except Throttled as throttled:
            self.problem.set_text(throttled.msg)
            return
        except Unauthenticated:
            self.problem.set_text("Wrong name or password.")
            self.password.set_value("")
            return
        sign_in(user)
        ui.navigate.to(self.target)


def register(web: WebContext) -> None:
    @ui.page("/login", title="Sign in · Warden")
    async def login_page(redirect_to: str = "/") -> None:
        target = safe_redirect(redirect_to)
        if await current_user() is not None:
            ui.navigate.to(target)
            return
        await LoginPage(web, target).build()
