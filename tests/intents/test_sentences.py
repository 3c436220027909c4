"""The sentence table: every kind, target form, unit, range edge, schedule, compound form and
error code, as an operator would type them."""

from __future__ import annotations

from typing import Any

import pytest

from core.intents import parse_intent
from tests.intents.sentences import CASES, WARN


def _without_explanations(dump: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in intent.items() if k != "explanation"} for intent in dump["intents"]]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(c[0][:60]) for c in CASES])
def test_sentence(text: str, expected: Any) -> None:
    dump = parse_intent(text).model_dump(mode="json")
    if isinstance(expected, str):
        assert dump["ok"] is False, dump
        assert set(dump) == {"ok", "error"}
        assert set(dump["error"]) == {"code", "message", "suggestions"}
        assert dump["error"]["code"] == expected, dump["error"]
        assert dump["error"]["message"]
        assert all(isinstance(s, str) and s for s in dump["error"]["suggestions"])
    else:
        assert dump["ok"] is True, dump
        assert set(dump) == {"ok", "intents", "warnings"}
        assert _without_explanations(dump) == expected
        assert all(intent["explanation"] for intent in dump["intents"])


@pytest.mark.parametrize(("text", "warnings"), WARN)
def test_warnings(text: str, warnings: list[str]) -> None:
    assert parse_intent(text).model_dump(mode="json")["warnings"] == warnings


def test_table_is_large_and_covers_every_kind_and_error_code() -> None:
    assert len(CASES) >= 150
    kinds = {i["kind"] for _, e in CASES if not isinstance(e, str) for i in e}
    assert len(kinds) == 16
    codes = {e for _, e in CASES if isinstance(e, str)}
    assert codes == {
        "empty", "no_intent", "no_target", "bad_value", "out_of_range", "unknown_unit",
        "ambiguous",
    }  # fmt: skip
