"""`warden intent parse` and `warden bench intents` as an operator runs them."""

import json


def test_parse_prints_the_intents_md_json(warden):
    result = warden("intent", "parse", "throttle cameras to 400 kbps", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "ok": True,
        "intents": [
            {
                "kind": "bandwidth_limit",
                "targets": [{"type": "camera"}],
                "params": {"rate_bps": 400000, "direction": "both"},
                "schedule": None,
                "duration_s": None,
                "explanation": (
                    "Limit the bandwidth of every camera to 400 kbit/s in both directions"
                ),
            }
        ],
        "warnings": [],
    }


def test_a_compound_sentence_reads_as_numbered_explanations(warden):
    result = warden("intent", "parse", "prioritize doorbell-1 and limit cameras to 1 mbit")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("1. ")
    assert "doorbell-1" in lines[0]
    assert lines[1].startswith("2. ")
    assert "1 Mbit/s" in lines[1]


def test_what_is_not_understood_exits_2_with_the_error_and_rewrites(warden):
    result = warden("intent", "parse", "limit cameras to 2 bananas", "--json")
    assert result.exit_code == 2
    answer = json.loads(result.output)
    assert answer["ok"] is False
    assert answer["error"]["code"] == "unknown_unit"
    text = warden("intent", "parse", "limit cameras to 2 bananas")
    assert text.exit_code == 2
    assert "unknown_unit" in text.output
    assert "try: " in text.output


def test_bench_intents_reports_parse_and_resolve_rates(warden):
    result = warden("bench", "intents", "--rounds", "2", "--devices", "50", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["not_understood"] == []
    assert figures["parse_per_s"] > 0
    assert figures["parse_resolve_per_s"] > 0
    assert figures["devices_resolved"] > 0
