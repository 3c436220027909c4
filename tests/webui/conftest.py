"""The web console in NiceGUI's simulated browser: the pages registered on a Core over a
fresh SQLite file, and simulated users who sign in through the real login page."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from nicegui import app as nicegui_app
from nicegui import core as nicegui_core
from nicegui import ui
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.outbox import Outbox
from nicegui.storage import Storage
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation
from nicegui.testing.user import User
from nicegui.testing.user_notify import UserNotify

from core import passwords
from core.config import Settings
from core.models import Actor, Role
from core.runtime import Core, open_core
from core.services import users
from tests.factories import FakeClock
from web.ui.app import register
from web.ui.context import WebContext

PASSWORD = "plenty of words, 12+"
USERS = {Role.VIEWER: "vera", Role.OPERATOR: "otto", Role.ADMIN: "ada"}


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost 4 instead of 12: every test here signs in (the cost is checked elsewhere)."""
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)


@pytest.fixture
def core(settings: Settings, clock: FakeClock) -> AsyncIterator[Core]:
    opened = open_core(settings, clock=clock)
    with opened.db.writer() as session:
        for role, name in USERS.items():
            users.add_user(
                session=session,
                name=name,
                password=PASSWORD,
                role=role,
                actor=Actor.system(),
                now=clock.now(),
            )
    try:
        yield opened
    finally:
        opened.close()


@dataclass
class Console:
    """The registered console and a way to open more simulated browsers."""

    context: WebContext
    new_user: Callable[[], User]
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def signed_in(self, role: Role) -> User:
        """A new browser, signed in through the login page as the user of ``role``."""
        user = self.new_user()
        await sign_in(user, USERS[role])
        return user


async def sign_in(user: User, name: str, password: str = PASSWORD) -> None:
    await user.open("/login")
    user.find("Name").type(name)
    user.find("Password").type(password)
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("Overview", retries=50)


@pytest.fixture
async def console(core: Core, tmp_path) -> AsyncIterator[Console]:
    Storage.path = tmp_path / "nicegui-storage"
    with nicegui_reset_globals():
        nicegui_app.storage = Storage()
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        clients: list[httpx.AsyncClient] = []

        def new_user() -> User:
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(nicegui_core.app), base_url="http://test"
            )
            clients.append(client)
            return User(client)

        try:
            prepare_simulation()
            context = register(core)
            ui.run(storage_secret="simulated secret")
            async with nicegui_core.app.router.lifespan_context(nicegui_core.app):
                yield Console(context=context, new_user=new_user, clients=clients)
                for client in clients:
                    await client.aclose()
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate = Navigate()
            ui.notify = notify
            ui.download = download


@pytest.fixture
async def admin(console: Console) -> User:
    return await console.signed_in(Role.ADMIN)


@pytest.fixture
async def operator(console: Console) -> User:
    return await console.signed_in(Role.OPERATOR)


@pytest.fixture
async def viewer(console: Console) -> User:
    return await console.signed_in(Role.VIEWER)


WAIT_S = 10.0
"""How long ``changes.until`` waits for the page to get there before failing: a bound
against a page that never changes, not a timing being tested."""


class PageChanges:
    """Waits on the pages' changes instead of polling: NiceGUI queues every element
    update or removal and every message (navigation, JavaScript) in a page's outbox, and
    the simulated browser records every notification; each of these wakes a waiting
    test, which then looks again."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def saw_change(self) -> None:
        self._changed.set()

    async def until(self, check: Callable[[], bool], what: str = "the condition") -> None:
        """Return once ``check()`` holds, looking again after every change of a page."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while True:
            self._changed.clear()
            if check():
                return
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
            except TimeoutError:
                raise AssertionError(f"the page never showed {what}") from None

    async def shows(self, user: User, marker: str, *texts: str) -> None:
        """Return once the element marked ``marker`` (redrawn live, so looked up afresh
        each time) shows every one of ``texts``."""

        def shown() -> bool:
            try:
                with user.scope(marker=marker):
                    for text in texts:
                        user.find(text)
            except AssertionError:
                return False
            return True

        await self.until(shown, f"{', '.join(texts)} in {marker}")


@pytest.fixture
def changes(monkeypatch: pytest.MonkeyPatch) -> PageChanges:
    """``await changes.until(check)``: wait for what a page shows (or did) without
    sleeping."""
    waiter = PageChanges()

    def noticed(method: Callable[..., None]) -> Callable[..., None]:
        def call(*args: object, **kwargs: object) -> None:
            method(*args, **kwargs)
            waiter.saw_change()

        return call

    for name in ("enqueue_update", "enqueue_delete", "enqueue_message"):
        monkeypatch.setattr(Outbox, name, noticed(getattr(Outbox, name)))
    monkeypatch.setattr(UserNotify, "__call__", noticed(UserNotify.__call__))
    return waiter
