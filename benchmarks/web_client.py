"""A browser-like client of the web console for ``warden bench serve``: pages fetched with
httpx, their live connection made with the socket.io client NiceGUI's own page script
speaks (the same query, the implicit handshake), and events sent as the page script sends
them, so the server keeps, and deletes, per-page state exactly as for a browser, without
one (no Chromium needed on the machine that measures)."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import time
import uuid
from typing import Any

import httpx
import socketio
from socketio.exceptions import SocketIOError

READY_TIMEOUT_S = 120
__all__ = ["Page", "SocketIOError", "open_page", "sign_in"]
_QUERY = re.compile(r"query:\s*(\{.*?\}),\s*\n")
_ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.S)


class Page:
    """One loaded page: its NiceGUI client id and elements, and its socket once connected."""

    def __init__(self, path: str, html: str) -> None:
        self.path = path
        query = _QUERY.search(html)
        if query is None:
            raise RuntimeError("the page carries no NiceGUI socket query (not a console page?)")
        self.query: dict[str, Any] = ast.literal_eval(query.group(1))  # a Python dict's repr
        elements = _ELEMENTS.search(html)
        self.elements: dict[str, Any] = json.loads(elements.group(1)) if elements else {}
        self.socket: socketio.AsyncClient | None = None

    async def connect(self, base: str, cookies: httpx.Cookies) -> None:
        """Connect the page's socket as nicegui.js does (implicit handshake); raises when
        the server refuses it."""
        params = {
            **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in self.query.items()},
            "document_id": str(uuid.uuid4()),
            "tab_id": str(uuid.uuid4()),
        }
        self.socket = socketio.AsyncClient(reconnection=False)
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        await self.socket.connect(
            f"{base}/?{httpx.QueryParams(params)}",
            socketio_path="/_nicegui_ws/socket.io",
            transports=["websocket"],
            headers={"Cookie": cookie} if cookie else {},
            wait_timeout=30,
        )

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.disconnect()

    def element(self, label: str) -> tuple[str, dict[str, Any]]:
        for element_id, element in self.elements.items():
            if element.get("props", {}).get("label") == label:
                return element_id, element
        raise RuntimeError(f"no element labelled {label!r} on the page")

    async def fire(self, label: str, event_type: str, *args: Any) -> None:
        """Send the event the browser would for the element labelled ``label``."""
        element_id, element = self.element(label)
        listener = next((e for e in element.get("events", []) if e["type"] == event_type), None)
        if listener is None or self.socket is None:
            raise RuntimeError(f"{label!r} has no {event_type} listener (or no socket): {element}")
        await self.socket.emit(
            "event",
            {
                "id": int(element_id),
                "client_id": self.query["client_id"],
                "listener_id": listener["listener_id"],
                "args": [json.dumps(arg) for arg in args],
            },
        )


async def open_page(client: httpx.AsyncClient, base: str, path: str) -> Page:
    response = await client.get(path)
    response.raise_for_status()
    page = Page(path, response.text)
    await page.connect(base, client.cookies)
    return page


async def sign_in(client: httpx.AsyncClient, base: str, name: str, password: str) -> None:
    """Through the login page's form, as a person would; then the console's pages open."""
    page = await open_page(client, base, "/login")
    try:
        await page.fire("Name", "update:value", name)
        await page.fire("Password", "update:value", password)
        await page.fire("Sign in", "click")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if (await client.get("/", follow_redirects=False)).status_code == 200:
                return
            await asyncio.sleep(0.2)
        raise RuntimeError("signing in through the login page did not take")
    finally:
        await page.close()
