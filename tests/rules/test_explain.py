"""The nearest wording of a rule's regex to a line it does not match, and where they part."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.rules import AverageRule, PatternRule, load_packs
from core.rules.explain import atoms, nearest_miss, unfold

PACKS = Path(__file__).resolve().parents[2] / "data" / "rules"
LOG_RULES = [r for r in load_packs(PACKS) if isinstance(r, PatternRule | AverageRule)]


def test_atoms_keep_quantifiers_and_literal_runs_together() -> None:
    assert atoms(r"STA (?P<mac>[0-9a-f:]{17}) IEEE ?802\.11: (?:a|b)\b") == [
        "STA ",
        "(?P<mac>[0-9a-f:]{17})",
        " IEEE",
        " ?",
        r"802\.11: ",
        "(?:a|b)",
        r"\b",
    ]


def test_a_group_of_wordings_unfolds_into_one_pattern_each() -> None:
    wordings = ["".join(a.text for a in w) for w in unfold(r"x (?:up|down) (?P<s>on|off)")]
    assert wordings == [
        "x up (?P<s>on)",
        "x up (?P<s>off)",
        "x down (?P<s>on)",
        "x down (?P<s>off)",
    ]


def test_the_start_of_the_nearest_wording_and_what_follows() -> None:
    miss = nearest_miss(
        r"Interface '(?P<i>[^']+)' is now (?:up|down)", "Interface 'wan' is disabled"
    )
    assert miss is not None
    assert (miss.matched, miss.expected, miss.found) == (
        "Interface 'wan",
        "' is now ",
        "' is disabled",
    )


def test_the_end_of_a_wording_when_only_its_start_differs() -> None:
    regex = r"(?:Bad|Failed) password for '(?P<u>[^']+)' from (?P<ip>[0-9.]+)"
    miss = nearest_miss(regex, "Accepted password for 'root' from 10.0.0.9")
    assert miss is not None and miss.at_end
    assert miss.matched == " password for 'root' from 10.0.0.9"
    assert miss.expected == "(?:Bad|Failed)"
    assert "its end matched" in miss.describe()


def test_a_matching_line_has_no_miss() -> None:
    assert nearest_miss(r"is now (?P<state>up|down)", "Interface 'wan' is now up") is None


@settings(max_examples=200, deadline=None)
@given(rule=st.sampled_from(LOG_RULES), line=st.text(max_size=120))
def test_every_shipped_rule_explains_any_line_without_failing(rule, line: str) -> None:
    miss = nearest_miss(rule.regex, line)
    if miss is not None:
        assert miss.expected  # there is always a next piece to name
        assert miss.describe()
