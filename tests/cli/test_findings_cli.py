"""`warden findings` over findings raised the way the rule engine raises them."""

import json

from core.config import load_settings
from core.runtime import open_core
from core.services import findings


def raise_one(data_dir, key="192.168.1.50"):
    core = open_core(load_settings(data_dir=data_dir))
    try:
        with core.db.writer() as session:
            return findings.raise_finding(
                session=session,
                now=core.clock.now(),
                firing=findings.FindingIn(
                    rule_id="security.ssh_bruteforce",
                    severity="high",
                    key=key,
                    ts_ms=1_770_890_400_000,
                    count=12,
                    evidence=[1, 2],
                    summary="12 failed logins",
                ),
            )
    finally:
        core.close()


def test_list_ack_note_resolve(warden, data_dir):
    finding = raise_one(data_dir)
    listed = warden.json("findings", "list", "--status", "open")
    assert [(f["id"], f["count"]) for f in listed] == [(finding.id, 12)]
    assert warden("findings", "ack", str(finding.id)).exit_code == 0
    assert warden("findings", "ack", str(finding.id)).exit_code == 2  # not open any more
    assert warden("findings", "note", str(finding.id), "blocked", "upstream").exit_code == 0
    shown = warden("findings", "show", str(finding.id))
    assert "blocked upstream" in shown.output
    assert warden("findings", "resolve", str(finding.id)).exit_code == 0
    assert (
        json.loads(warden("findings", "show", str(finding.id), "--json").output)["status"]
        == "resolved"
    )
    assert warden.json("findings", "list", "--status", "open") == []
    assert warden("findings", "show", "999").exit_code == 2


def raise_rule(data_dir, rule_id, severity, key, details=None, evidence=(), at_s=0):
    core = open_core(load_settings(data_dir=data_dir))
    try:
        with core.db.writer() as session:
            return findings.raise_finding(
                session=session,
                now=core.clock.now(),
                firing=findings.FindingIn(
                    rule_id=rule_id,
                    severity=severity,
                    key=key,
                    ts_ms=1_770_890_400_000 + at_s * 1000,
                    summary=f"{rule_id} on {key}",
                    details=details or {},
                    evidence=list(evidence),
                ),
            )
    finally:
        core.close()


def test_show_explains_the_rule_says_what_to_do_and_gives_times_not_epochs(warden, data_dir):
    warden("rules", "list")  # the shipped packs are copied in on first use
    finding = raise_rule(
        data_dir,
        "wifi.auth-failures",
        "medium",
        "aa:bb:cc:dd:ee:ff",
        details={"first_ms": 1_770_890_400_000, "client": "aa:bb:cc:dd:ee:ff", "count": 9},
    )
    shown = warden("findings", "show", str(finding.id)).output
    assert "Wi-Fi authentication failures" in shown or "(wifi.auth-failures)" in shown
    assert "what it means:" in shown
    assert "what to do:" in shown and "credentials" in shown
    assert "1770890400000" not in shown
    assert "2026-02-12" in shown  # the epoch-millisecond detail, as a date
    assert "opened once" in shown
    assert "opened 1 times" not in shown
    as_json = json.loads(warden("findings", "show", str(finding.id), "--json").output)
    assert as_json["rule"]["remediation"]


def test_list_puts_what_needs_attention_first_unless_asked_for_recency(warden, data_dir):
    low = raise_rule(data_dir, "iot.battery-low", "low", "s-1", at_s=1)
    high = raise_rule(data_dir, "security.ssh-login-failures", "high", "10.0.0.9", at_s=2)
    medium = raise_rule(data_dir, "iot.sequence-gaps", "medium", "s-2", at_s=3)
    resolved_critical = raise_rule(data_dir, "health.oom-killer", "critical", "gw", at_s=4)
    assert warden("findings", "resolve", str(resolved_critical.id)).exit_code == 0
    by_attention = [f["id"] for f in warden.json("findings", "list")]
    assert by_attention == [high.id, medium.id, low.id, resolved_critical.id]
    by_recency = [f["id"] for f in warden.json("findings", "list", "--order", "recent")]
    assert by_recency[0] == resolved_critical.id
