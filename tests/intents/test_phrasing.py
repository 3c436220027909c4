"""The one kind table that explanations and canonical sentences both read covers every
kind of the language and every kind the grammar builds, once."""

from __future__ import annotations

from typing import get_args

from core.intents.kinds import TABLE
from core.intents.model import Kind
from core.intents.phrasing import PHRASES


def test_every_kind_is_explained_and_rendered():
    assert sorted(PHRASES) == sorted(get_args(Kind))
    assert set(PHRASES) == {kind for kind, _, _ in TABLE}
    assert list(PHRASES) == list(dict.fromkeys(kind for kind, _, _ in TABLE))
