"""Intent params are typed by kind, and their JSON is exactly the dict INTENTS.md writes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.intents import Intent, parse_intent
from core.intents.params import (
    PARAMS_OF,
    AllowParams,
    ImpairParams,
    LimitParams,
    RevokeIdParams,
    RevokeKindParams,
    SamplingCadenceParams,
)
from tests.intents.sentences import CASES


def test_every_kind_has_a_params_type() -> None:
    kinds = {i["kind"] for _, e in CASES if not isinstance(e, str) for i in e}
    assert kinds == set(PARAMS_OF)


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("limit cameras to 1 mbit", LimitParams),
        ("add 80 ms delay to lab-7", ImpairParams),
        ("allow cam-4 to reach only 10.0.0.5 port 554", AllowParams),
        ("cancel intent 17", RevokeIdParams),
        ("remove all limits for camera-3", RevokeKindParams),
        ("sample every 500 ms on meter-4", SamplingCadenceParams),
    ],
)
def test_parsed_params_are_the_kinds_model(text: str, model: type) -> None:
    (intent,) = parse_intent(text).intents
    assert type(intent.params) is model


def test_stored_json_reads_back_to_the_same_typed_intent() -> None:
    for text, expected in CASES:
        if isinstance(expected, str):
            continue
        for intent in parse_intent(text).intents:
            stored = intent.model_dump(mode="json")
            again = Intent.model_validate(stored)
            assert again == intent
            assert again.model_dump(mode="json") == stored


def test_params_of_another_kind_are_refused() -> None:
    with pytest.raises(ValidationError):
        Intent.model_validate(
            {"kind": "priority", "targets": [], "params": {"rate_bps": 1}, "explanation": "x"}
        )
