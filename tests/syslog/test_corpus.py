"""What OpenWRT's daemons really print (tests/syslog/corpus/openwrt_lines.yaml): every line
parses as logd forwards it, lands in its class, and matches exactly the shipped rules the
corpus lists for it, with their key and captured fields. A line listed with no rule must
match none: a rule that also counts a harmless line fires falsely."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.rules import AverageRule, LogEvent, PatternEngine, PatternRule, load_packs
from core.syslog import parse_syslog

ROOT = Path(__file__).resolve().parents[2]
CORPUS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "corpus" / "openwrt_lines.yaml").read_text(encoding="utf-8")
)
HOST: str = CORPUS["host"]
LOG_RULES = {
    rule.id: rule
    for rule in load_packs(ROOT / "data" / "rules")
    if isinstance(rule, PatternRule | AverageRule)
}
PID = 1234
RECEIVED_MS = 1_770_890_400_000  # 2026-02-12 10:00:00 UTC


def lines() -> list[Any]:
    params = []
    for f, family in enumerate(CORPUS["families"]):
        for n, line in enumerate(family["lines"]):
            params.append(pytest.param(family, line, id=f"{f:02d}-{family['app']}-{n:02d}"))
    return params


def received(app: str, message: str) -> LogEvent:
    """The line as OpenWRT's logd forwards it (RFC 3164, daemon.info), parsed."""
    raw = f"<30>Feb 12 10:00:00 {HOST} {app}[{PID}]: {message}".encode()
    record = parse_syslog(raw, received_ms=RECEIVED_MS, now_year=2026)
    assert (record.host, record.app, record.pid, record.message) == (HOST, app, PID, message)
    return LogEvent.from_record(record, id=1)


def counted_once(rule: PatternRule | AverageRule, event: LogEvent):
    """What the rule makes of this one line: the engine's own key and captures."""
    if isinstance(rule, PatternRule):
        once = rule.model_copy(update={"threshold": 1, "cooldown_s": 0})
    else:
        once = rule.model_copy(update={"min_count": 1, "op": "<", "bound": float("inf")})
    [firing] = PatternEngine([once]).feed(event)
    return firing


def test_the_corpus_holds_at_least_200_distinct_lines_with_their_sources() -> None:
    messages = [line["message"] for family in CORPUS["families"] for line in family["lines"]]
    assert len(messages) >= 200
    assert len(set(messages)) == len(messages)
    references = CORPUS["references"]
    for family in CORPUS["families"]:
        assert set(family["wording"]) <= set(references), family["family"]
        assert {line["from"] for line in family["lines"]} <= set(references), family["family"]


def test_every_shipped_log_rule_is_exercised_by_the_corpus() -> None:
    counted = {
        rule for f in CORPUS["families"] for line in f["lines"] for rule in line.get("rules", {})
    }
    assert set(LOG_RULES) - {"iot.ota-failed"} <= counted  # OTA lines come from devices


@pytest.mark.parametrize(("family", "line"), lines())
def test_a_real_line(family: dict[str, Any], line: dict[str, Any]) -> None:
    event = received(family["app"], line["message"])
    assert event.log_class == family["class"]
    matched = {
        rule_id
        for rule_id, rule in LOG_RULES.items()
        if rule.selects(event) and re.search(rule.regex, event.message)
    }
    expected: dict[str, Any] = line.get("rules", {})
    assert matched == set(expected)
    for rule_id, want in expected.items():
        firing = counted_once(LOG_RULES[rule_id], event)
        assert firing.key == want["key"], rule_id
        captures = firing.details["captures"]
        assert {k: captures.get(k) for k in want["fields"]} == want["fields"], rule_id
