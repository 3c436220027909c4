"""A page served but never connected (no browser script ran: a prefetch, a bot, a browser
gone) gives its server-side client back after ``UNCONNECTED_PAGE_S``, not NiceGUI's 60 s
(about 1 MB a page: the rate of such loads times 60 s was the process's growth)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nicegui import Client
from nicegui.page import page

from web.ui.app import UNCONNECTED_PAGE_S, prune_unconnected_pages


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        if not client.is_deleted:
            client.delete()


def test_a_page_never_connected_is_let_go_after_the_bound(clients: list[Client]) -> None:
    stale, fresh = Client(page("")), Client(page(""))
    clients.extend([stale, fresh])
    stale.created -= UNCONNECTED_PAGE_S + 1

    prune_unconnected_pages()

    assert stale.is_deleted
    assert stale.id not in Client.instances
    assert not fresh.is_deleted  # a browser still has time to connect


def test_the_bound_is_well_below_nicegui_s_own() -> None:
    assert 5 <= UNCONNECTED_PAGE_S < 60
