"""Properties: parsing never raises, and the canonical re-rendering of a result reads back to
the same intents."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.intents import parse_intent, render
from tests.intents.sentences import CASES

_WORDS = [
    "limit", "cameras", "to", "2", "mbit", "KB/s", "and", "reboot", "pump-1", ",", "for",
    "30", "minutes", "between", "22:00", "06:00", "in", "the", "garage", "prioritize", "%",
    "block", "10.0.0.5", "port", "554", "every", "night", "from", "set", "mode", "eco",
    "cancel", "intent", "17", "devices", "tagged", "lab", "m", "k", "ms", "until", "on",
    "weekdays", "add", "delay", "jitter", "loss", "allow", "only", "reach", "all", "qos",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_never_raises_on_any_text(text: str) -> None:
    dump = parse_intent(text).model_dump(mode="json")
    assert set(dump) in ({"ok", "intents", "warnings"}, {"ok", "error"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=14))
def test_never_raises_on_word_salad(words: list[str]) -> None:
    dump = parse_intent(" ".join(words)).model_dump(mode="json")
    if dump["ok"]:
        _assert_round_trip(" ".join(words))


def _assert_round_trip(text: str) -> None:
    result = parse_intent(text)
    assert result.ok
    for intent in result.intents:
        again = parse_intent(render(intent))
        assert again.ok, (text, render(intent), again.model_dump(mode="json"))
        assert [i.model_dump(mode="json") for i in again.intents] == [
            intent.model_dump(mode="json")
        ], (text, render(intent))


_OK = [text for text, expected in CASES if not isinstance(expected, str)]


@pytest.mark.parametrize("text", _OK)
def test_canonical_rendering_reads_back_the_same(text: str) -> None:
    _assert_round_trip(text)


_TARGETS = st.sampled_from(
    [
        "pump-1", "cameras", "all power meters", "devices tagged lab", "critical devices",
        "cameras in the garage", "devices in the server room", "10.0.0.23", "10.0.0.0/24",
        "AA:BB:CC:DD:EE:FF", "camera-*", "everything", "node-5 and node-6",
        "pump-1, pump-2 and weather stations",
    ]
)  # fmt: skip
_TIMES = st.sampled_from(
    [
        "", "for 30 minutes", "between 22:00 and 06:00", "from 9:00 to 17:00 on weekdays",
        "until 18:00", "on sat and sun", "every night from 23:00 to 6:00 for 2 hours",
    ]
)  # fmt: skip


@st.composite
def sentences(draw: st.DrawFn) -> str:
    who = draw(_TARGETS)
    rate = draw(st.integers(8, 10_000))
    unit = draw(st.sampled_from(["mbit", "Mbit/s", "MB/s", "mbps", "MBps"]))
    number = draw(st.integers(1, 10))
    body = draw(
        st.sampled_from(
            [
                f"limit {who} to {rate} kbit",
                f"cap upload of {who} at {number} {unit}",
                f"guarantee {number} {unit} for {who}",
                f"set priority of {who} to {number}",
                f"keep latency under {rate} ms for {who}",
                f"add {rate} ms delay with {number} ms jitter and {number}% loss to {who}",
                f"use qos {number % 3} for {who}",
                f"report every {number} minutes for {who}",
                f"sample every {number} s on {who}",
                f"disable power saving on {who}",
                f"set screen brightness to {rate} for {who}",
                f"upgrade {who} to firmware 1.{number}.0",
                f"quarantine {who}",
                f"allow {who} to reach only 10.0.0.{number} port {rate} udp",
                f"remove all limits for {who}",
                f"stop prioritizing {who}",
            ]
        )
    )
    return f"{body} {draw(_TIMES)}".strip()


@settings(max_examples=300, deadline=None)
@given(sentences())
def test_generated_sentences_parse_and_round_trip(text: str) -> None:
    result = parse_intent(text)
    assert result.ok, (text, result.model_dump(mode="json"))
    _assert_round_trip(text)
