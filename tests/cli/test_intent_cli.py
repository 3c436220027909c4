"""`warden intent parse` and `warden bench intents` as an operator runs them."""

import json

import pytest

from core.runtime import open_core
from enforcement.probe import probe_features
from enforcement.reconciler import Reconciler
from enforcement.verifier import Verifier
from tests.enforcement.conftest import require_net_admin
from tests.enforcement.fakes import FakeFirewall, FakeShaper


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
    assert "not understood: " in text.output
    assert "unknown_unit" not in text.output  # a code is for programs, not for people
    assert "try: " in text.output


def test_bench_intents_reports_parse_and_resolve_rates(warden):
    result = warden("bench", "intents", "--rounds", "2", "--devices", "50", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["not_understood"] == []
    assert figures["parse_per_s"] > 0
    assert figures["parse_resolve_per_s"] > 0
    assert figures["devices_resolved"] > 0
    assert figures["plan_per_s"] > 0
    assert figures["policies_planned"] > 0


def test_plan_submit_list_show_revoke_from_the_command_line(warden):
    for device, kind, ip in [
        ("camera-1", "camera", "10.0.0.21"),
        ("camera-2", "camera", "10.0.0.22"),
    ]:
        assert warden("devices", "add", device, "--type", kind, "--ip", ip).exit_code == 0
    planned = warden("intent", "plan", "limit cameras to 1 mbit")
    assert planned.exit_code == 0, planned.output
    assert "camera-2 (10.0.0.22): download limited to 1 Mbit/s" in planned.output

    submitted = warden.json("intent", "submit", "--yes", "limit cameras to 1 mbit")
    intent_id = submitted["intents"][0]["id"]
    assert submitted["intents"][0]["status"] == "planned"

    conflict = warden("intent", "plan", "limit camera-1 to 3 mbit")
    assert conflict.exit_code == 2
    assert "CONFLICT" in conflict.output
    refused = warden("intent", "submit", "--yes", "limit camera-1 to 3 mbit")
    assert refused.exit_code == 2
    assert "--replaces" in refused.output

    listed = warden.json("intent", "list")
    assert [(i["id"], i["status"]) for i in listed] == [(intent_id, "planned")]
    shown = warden("intent", "show", str(intent_id))
    assert "[pending] camera-1 (10.0.0.21): download limited to 1 Mbit/s" in shown.output
    assert warden("intent", "revoke", str(intent_id)).exit_code == 0
    assert warden.json("intent", "show", str(intent_id))["status"] == "revoked"
    assert warden("intent", "revoke", str(intent_id)).exit_code == 2


def test_submit_asks_before_it_stores(warden):
    warden("devices", "add", "camera-1", "--type", "camera", "--ip", "10.0.0.21")
    declined = warden("intent", "submit", "limit camera-1 to 1 mbit", input="n\n")
    assert declined.exit_code == 1  # aborted
    assert warden.json("intent", "list") == []
    accepted = warden("intent", "submit", "limit camera-1 to 1 mbit", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(warden.json("intent", "list")) == 1


def test_submit_says_when_nothing_will_apply_it_yet_and_when_it_is_a_dry_run(warden):
    warden("devices", "add", "camera-1", "--type", "camera", "--ip", "10.0.0.21")
    result = warden(
        "intent",
        "submit",
        "--yes",
        "limit camera-1 to 1 mbit",
        env={"WARDEN_ENFORCEMENT": "dry-run"},
    )
    assert result.exit_code == 0, result.output
    assert "DRY RUN: the kernel is not changed (WARDEN_ENFORCEMENT=dry-run" in result.stderr
    assert "the agent is not running: it applies the intent when it starts" in result.stderr
    assert "(planned)" in result.stdout


def test_show_json_carries_the_verdict_satisfaction_and_history(warden, settings):

    warden("devices", "add", "meter-1", "--type", "ac_meter")
    intent_id = warden.json("intent", "submit", "--yes", "--wait", "0", "disable meter-1")[
        "intents"
    ][0]["id"]
    core = open_core(settings)
    backends = {"shaper": FakeShaper(), "firewall": FakeFirewall()}
    Reconciler(core.db, core.clock, link_rate_bps=10**8, **backends).reconcile()
    verifier = Verifier(core.db, core.clock, link_rate_bps=10**8, **backends)
    verifier.verify()
    verifier.verify()

    shown = warden.json("intent", "show", str(intent_id))
    assert shown["status"] == "active"
    assert shown["verdict"] == "satisfied"
    assert shown["checks"] == 2
    assert shown["satisfaction"] == 1.0
    assert [c["verdict"] for c in shown["history"]] == ["satisfied", "satisfied"]
    assert shown["policies"][0]["verdict"] == "satisfied"
    assert shown["policies"][0]["measured"] == {"device_enabled": False}
    text = warden("intent", "show", str(intent_id)).output
    assert "100% of 2 checks" in text
    assert "[applied satisfied] meter-1: disabled" in text


@pytest.mark.root
def test_an_impairment_is_refused_at_plan_time_on_a_kernel_without_netem(warden):
    require_net_admin()
    has_netem = "netem" in probe_features().qdiscs
    warden("devices", "add", "camera-1", "--type", "camera", "--ip", "10.0.0.21")
    # A LAN interface makes this a kernel (not dry-run) gateway; planning touches nothing.
    env = {"WARDEN_LAN_IFACES": "lo"}
    planned = warden("intent", "plan", "add 100 ms delay to camera-1", env=env)
    submitted = warden("intent", "submit", "--yes", "add 100 ms delay to camera-1", env=env)
    if has_netem:
        assert planned.exit_code == 0, planned.output
        return
    assert planned.exit_code == 2
    assert "Refused: Add 100 ms of delay to the traffic of camera-1: this kernel has no netem" in (
        planned.output
    )
    assert submitted.exit_code == 2
    assert "this kernel has no netem" in submitted.output
    assert warden.json("intent", "list") == []
    dry = warden(
        "intent",
        "plan",
        "add 100 ms delay to camera-1",
        env={**env, "WARDEN_ENFORCEMENT": "dry-run"},
    )
    assert dry.exit_code == 0  # a dry run plans as for a full kernel
