"""The phrasing families of issue 21, each a table; the shape of a result is checked as in
``test_sentences``."""

from __future__ import annotations

from typing import Any

import pytest

from core.intents import parse_intent, render
from tests.intents.families import FAMILIES

CASES = [(family, text, expected) for family, cases in FAMILIES.items() for text, expected in cases]


@pytest.mark.parametrize(
    ("family", "text", "expected"), CASES, ids=[f"{c[0]}: {c[1][:50]}" for c in CASES]
)
def test_family_sentence(family: str, text: str, expected: Any) -> None:
    result = parse_intent(text)
    dump = result.model_dump(mode="json")
    if isinstance(expected, str):
        assert dump["ok"] is False, dump
        assert dump["error"]["code"] == expected, dump["error"]
        return
    assert dump["ok"] is True, dump
    got = [{k: v for k, v in i.items() if k != "explanation"} for i in dump["intents"]]
    assert got == expected
    for intent in result.intents:  # and the canonical sentence reads back the same
        (again,) = parse_intent(render(intent)).intents
        assert again == intent
