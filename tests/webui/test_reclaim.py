"""Closed pages' cyclic garbage is collected while pages keep closing (see web.ui.reclaim),
and no full collection runs while none closed."""

from __future__ import annotations

import gc
import weakref

import pytest

from web.ui.reclaim import PageReclaimer


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_after_a_page_closed_its_cycles_are_freed() -> None:
    reclaimer = PageReclaimer()
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle, as elements and their bindings
    alive = weakref.ref(first)
    gc.disable()  # only the reclaimer may collect here
    try:
        del first, second
        assert alive() is not None
        reclaimer.page_deleted(object())
        assert reclaimer.collect() > 0
        assert alive() is None
    finally:
        gc.enable()


def test_no_full_collection_while_no_page_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[bool] = []
    monkeypatch.setattr(gc, "collect", lambda *args: runs.append(True) or 0)
    reclaimer = PageReclaimer()

    reclaimer.collect()
    reclaimer.page_deleted()
    reclaimer.collect()
    reclaimer.collect()

    assert runs == [True]
