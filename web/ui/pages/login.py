"""Signing in and out: the same users, throttling and audit as the REST API."""

from __future__ import annotations

from nicegui import run, ui

from core.errors import Throttled, Unauthenticated
from core.models import Origin, UserPublic
from core.services import users
from web.ui.context import web
from web.ui.guard import safe_redirect
from web.ui.session import client_address, current_user, sign_in


def _login(name: str, password: str, address: str | None) -> UserPublic:
    core = web().core
    with core.db.writer() as session:
        return users.login(
            session=session,
            name=name,
            password=password,
            address=address,
            now=core.clock.now(),
            origin=Origin.WEB,
        )


def _has_users() -> bool:
    with web().core.db.reader() as session:
        return users.has_users(session=session)


def register() -> None:
    @ui.page("/login", title="Sign in · Warden")
    async def login_page(redirect_to: str = "/") -> None:
        target = safe_redirect(redirect_to)
        if await current_user() is not None:
            ui.navigate.to(target)
            return
        gateway = web().core.settings.gateway_name
        with ui.card().classes("absolute-center w-80 max-w-full"):
            ui.label("Warden").classes("text-h5")
            ui.label(f"Sign in to {gateway}").classes("text-subtitle2 text-grey-7")
            name = ui.input("Name").props("autofocus autocomplete=username").classes("w-full")
            password = (
                ui.input("Password", password=True, password_toggle_button=True)
                .props("autocomplete=current-password")
                .classes("w-full")
            )
            problem = ui.label("").classes("text-negative").mark("login-error")
            if not await run.io_bound(_has_users):
                problem.set_text(
                    "No users yet. On the gateway, run: warden users add NAME --role admin"
                )

            async def attempt() -> None:
                if not name.value or not password.value:
                    problem.set_text("Enter your name and password.")
                    return
                try:
                    user = await run.io_bound(_login, name.value, password.value, client_address())
                except Throttled as throttled:
                    problem.set_text(throttled.msg)
                    return
                except Unauthenticated:
                    problem.set_text("Wrong name or password.")
                    password.set_value("")
                    return
                sign_in(user)
                ui.navigate.to(target)

            password.on("keydown.enter", attempt)
            ui.button("Sign in", on_click=attempt).classes("w-full")
