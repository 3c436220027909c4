"""`warden rules|playbooks|actions` through the real entry point, on data seeded through
the services the way the collectors and the rule engine store it."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from pathlib import Path

from core.clock import to_ms
from core.config import load_settings
from core.models import ReadingIn
from core.rules import load_packs
from core.runtime import Core, open_core
from core.services import changes, devices, findings, logs, telemetry
from tests.factories import EPOCH_2026, actor
from warden.catalog import sync_catalog

SHIPPED_RULES = load_packs(Path(__file__).resolve().parents[2] / "data" / "rules")
HOUR_MS = 3_600_000
T0 = to_ms(EPOCH_2026) - HOUR_MS  # 2026-02-12 09:00 UTC: the replayed hour starts here
SINCE, UNTIL, LATER = (
    "2026-02-12T09:00:00Z",
    "2026-02-12T10:00:00Z",
    "2026-02-12T11:00:00Z",
)


@contextlib.contextmanager
def seeding(data_dir: Path) -> Iterator[Core]:
    """A Core on the same data dir as the CLI, closed before the CLI runs again."""
    core = open_core(load_settings(data_dir=data_dir))
    try:
        yield core
    finally:
        core.close()


def wifi_line(ts_ms: int, mac: str) -> logs.LogLine:
    return logs.LogLine(
        ts_ms=ts_ms,
        received_ms=ts_ms,
        source="udp",
        source_ip="192.168.1.2",
        host="ap-1",
        app="hostapd",
        pid=812,
        facility=3,
        severity=4,
        log_class="wifi",
        message=f"wlan0: AP-STA-POSSIBLE-PSK-MISMATCH {mac}",
    )


def raise_overheat(core: Core, device_id: str) -> findings.FindingPublic:
    with core.db.writer() as session:
        devices.record_seen(
            session=session, device_id=device_id, seen_at=EPOCH_2026, device_type="sensor"
        )
    with core.db.writer() as session:
        return findings.raise_finding(
            session=session,
            now=core.clock.now(),
            firing=findings.FindingIn(
                rule_id="iot.temperature-high",
                severity="high",
                key=device_id,
                device_id=device_id,
                ts_ms=to_ms(EPOCH_2026),
                count=6,
                evidence=[],
                summary=f"temperature on {device_id} is 71 (> 60) for 300 s",
            ),
        )


def test_a_fresh_data_dir_lists_the_shipped_rules(warden):
    listed = warden.json("rules", "list")
    assert len(listed) == len(SHIPPED_RULES)
    assert [(r["id"], r["pack"], r["enabled"], r["edited"]) for r in listed] == sorted(
        (r.id, r.pack, r.enabled, False) for r in SHIPPED_RULES
    )
    wifi = warden.json("rules", "list", "--pack", "wifi")
    assert [r["id"] for r in wifi] == sorted(r.id for r in SHIPPED_RULES if r.pack == "wifi")
    assert wifi and {r["pack"] for r in wifi} == {"wifi"}
    table = warden("rules", "list", "--pack", "wifi").output.splitlines()
    assert table[0].split()[:4] == ["ID", "KIND", "ENABLED", "EDITED"]
    assert len(table) == 1 + len(wifi)
    assert warden.json("rules", "list", "--pack", "no-such-pack") == []


def test_set_validates_and_reset_restores_the_shipped_definition(warden):
    shipped = next(r for r in SHIPPED_RULES if r.id == "wifi.auth-failures")
    assert (shipped.threshold, shipped.window_s) != (3, 120)  # the edit is visible
    done = warden("rules", "set", "wifi.auth-failures", "threshold=3", "window_s=120")
    assert done.exit_code == 0, done.output
    shown = warden.json("rules", "show", "wifi.auth-failures")
    assert (shown["threshold"], shown["window_s"]) == (3, 120)
    assert shown["regex"] == shipped.regex  # the other fields are kept
    edited = {r["id"] for r in warden.json("rules", "list") if r["edited"]}
    assert edited == {"wifi.auth-failures"}

    bad = warden("rules", "set", "wifi.auth-failures", "threshold=abc")
    assert bad.exit_code == 2
    assert len(bad.stderr.splitlines()) == 1
    assert "threshold" in bad.stderr
    fixed = warden("rules", "set", "wifi.auth-failures", "id=foo")
    assert fixed.exit_code == 2
    assert "id cannot be changed" in fixed.stderr
    assert warden("rules", "set", "no.such-rule", "threshold=3").exit_code == 2
    assert warden("rules", "set", "wifi.auth-failures", "threshold").exit_code == 2  # no '='
    assert warden.json("rules", "show", "wifi.auth-failures")["threshold"] == 3  # unchanged

    assert warden("rules", "reset", "wifi.auth-failures").exit_code == 0
    back = warden.json("rules", "show", "wifi.auth-failures")
    assert (back["threshold"], back["window_s"]) == (shipped.threshold, shipped.window_s)
    assert not any(r["edited"] for r in warden.json("rules", "list"))
    assert warden("rules", "reset", "no.such-rule").exit_code == 2


def test_disable_and_enable_are_stored_and_logged(warden, data_dir):
    def enabled() -> bool:
        listed = warden.json("rules", "list", "--pack", "iot")
        return next(r["enabled"] for r in listed if r["id"] == "iot.device-offline")

    assert enabled() is True
    assert warden("rules", "disable", "iot.device-offline").exit_code == 0
    assert enabled() is False
    assert warden.json("rules", "show", "iot.device-offline")["enabled"] is False
    assert warden("rules", "enable", "iot.device-offline").exit_code == 0
    assert enabled() is True
    assert warden("rules", "disable", "no.such-rule").exit_code == 2
    with seeding(data_dir) as core, core.db.reader() as session:
        logged = [
            (c.kind, c.origin.value)
            for c in changes.list_changes(session=session)
            if c.entity == "rule" and c.entity_id == "iot.device-offline"
        ]
    assert logged == [("rule.disabled", "cli"), ("rule.enabled", "cli")]


def test_replaying_a_threshold_rule_over_stored_readings(warden, data_dir):
    rule = warden.json("rules", "show", "iot.temperature-high")
    assert rule["op"] in (">", ">=", "<", "<=")
    above = rule["op"].startswith(">")
    hot = rule["value"] + (5 if above else -5)
    cool = rule["value"] - (5 if above else -5)
    held = math.ceil(rule["for_s"] / 60) + 3  # minutes past the bound: longer than for_s
    first_hot = T0 + 10 * 60_000

    def boiler(i: int) -> float:  # hot from minute 10 for `held + 1` readings, then cool
        return hot if 10 <= i <= 10 + held else cool

    with seeding(data_dir) as core:
        for device_id, value in (("boiler-1", boiler), ("fridge-1", lambda i: cool)):
            with core.db.writer() as session:
                devices.record_seen(
                    session=session, device_id=device_id, seen_at=EPOCH_2026, device_type="sensor"
                )
                telemetry.append_readings(
                    session=session,
                    device_id=device_id,
                    actor=actor(),
                    readings=[
                        ReadingIn(metric=rule["metric"], ts=T0 + i * 60_000, value=value(i))
                        for i in range(60)
                    ],
                )
    replayed = warden.json(
        "rules", "test", "iot.temperature-high", "--since", SINCE, "--until", UNTIL
    )
    assert (replayed["devices"], replayed["readings"]) == (2, 120)
    assert [
        (f["rule_id"], f["device_id"], f["ts_ms"], f["count"]) for f in replayed["firings"]
    ] == [
        (
            "iot.temperature-high",
            "boiler-1",
            first_hot + math.ceil(rule["for_s"] / 60) * 60_000,
            math.ceil(rule["for_s"] / 60) + 1,
        )
    ]
    # the next hour sees only the last for_s of history, all cool: no firing, and why not
    quiet = warden("rules", "test", "iot.temperature-high", "--since", UNTIL, "--until", LATER)
    assert quiet.exit_code == 0, quiet.output
    history = 2 * min(rule["for_s"] // 60, 60)
    assert quiet.output.splitlines() == [
        f"iot.temperature-high: {history} readings of {rule['metric']} from 2 device(s), "
        "0 firing(s)",
        f"  no reading stayed {rule['op']} {rule['value']:g} for {rule['for_s']} s",
    ]


def test_replaying_a_log_rule_over_stored_lines(warden, data_dir):
    rule = warden.json("rules", "show", "wifi.auth-failures")
    threshold, window_ms = rule["threshold"], rule["window_s"] * 1000
    step = window_ms // (threshold + 1)  # `threshold` lines fit inside one window
    noisy, shy = "aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02"
    with seeding(data_dir) as core, core.db.writer() as session:
        logs.ingest_batch(
            session=session,
            lines=[wifi_line(T0 + 60_000 + i * step, noisy) for i in range(threshold)]
            # one short of the threshold, in the next hour
            + [wifi_line(T0 + HOUR_MS + 60_000 + i * step, shy) for i in range(threshold - 1)],
        )
    fired = warden.json("rules", "test", "wifi.auth-failures", "--since", SINCE, "--until", UNTIL)
    assert (fired["lines"], fired["matched"]) == (threshold, threshold)
    assert [(f["key"], f["count"]) for f in fired["firings"]] == [(noisy, threshold)]

    quiet = warden("rules", "test", "wifi.auth-failures", "--since", UNTIL, "--until", LATER)
    assert quiet.exit_code == 0, quiet.output
    n = threshold - 1
    assert quiet.output.splitlines() == [
        f"wifi.auth-failures: {n} lines replayed, {n} matched, 0 firing(s)",
        f"  {n} line(s) matched, but never {threshold} for one key ({{mac}}) "
        f"within {rule['window_s']} s",
    ]

    liveness = warden("rules", "test", "iot.device-offline")
    assert liveness.exit_code == 2
    assert "cannot be replayed" in liveness.stderr
    assert warden("rules", "test", "no.such-rule").exit_code == 2


def test_actions_are_proposed_shown_approved_and_rejected(warden, data_dir):
    with seeding(data_dir) as core:
        sync_catalog(core)
        first = raise_overheat(core, "boiler-1")
        second = raise_overheat(core, "boiler-2")
    queue = warden.json("actions", "list", "--state", "proposed")
    assert [(a["finding_id"], a["playbook_id"], a["device_id"]) for a in queue] == [
        (second.id, "iot.overheat-status", "boiler-2"),
        (first.id, "iot.overheat-status", "boiler-1"),
    ]
    one, other = queue[1]["id"], queue[0]["id"]
    assert [a["id"] for a in warden.json("actions", "list", "--finding", str(first.id))] == [one]

    action = warden.json("actions", "show", str(one))
    assert [s["cmd"] for s in action["steps"]] == ["request_status"]
    shown = warden("actions", "show", str(one)).output.splitlines()
    assert f"step 1: {json.dumps(action['steps'][0], ensure_ascii=False)}" in shown

    assert warden("actions", "approve", str(one)).exit_code == 0
    approved = warden.json("actions", "show", str(one))
    assert approved["state"] == "approved"
    assert approved["decided_by"]
    again = warden("actions", "approve", str(one))
    assert again.exit_code == 2
    assert "only a proposed action can be approved" in again.stderr

    refused = warden("actions", "reject", str(other), "--reason", "not now")
    assert refused.exit_code == 0, refused.output
    rejected = warden.json("actions", "show", str(other))
    assert (rejected["state"], rejected["reason"]) == ("rejected", "not now")
    assert warden("actions", "reject", str(other)).exit_code == 2
    assert warden.json("actions", "list", "--state", "proposed") == []
    assert warden("actions", "show", "999").exit_code == 2
    assert warden("actions", "list", "--state", "nonsense").exit_code == 2


def test_a_disabled_playbook_proposes_nothing(warden, data_dir):
    with seeding(data_dir) as core:
        sync_catalog(core)
        before = raise_overheat(core, "boiler-1")
    assert len(warden.json("actions", "list", "--finding", str(before.id))) == 1

    assert warden("playbooks", "disable", "iot.overheat-status").exit_code == 0
    listed = warden.json("playbooks", "list", "--pack", "iot")
    assert next(p["enabled"] for p in listed if p["id"] == "iot.overheat-status") is False
    with seeding(data_dir) as core:
        after = raise_overheat(core, "boiler-2")
    assert warden.json("actions", "list", "--finding", str(after.id)) == []
    assert len(warden.json("actions", "list")) == 1


def test_a_refused_playbook_edit_names_the_whole_path_of_the_field(warden):
    bad = warden(
        "playbooks", "set", "iot.overheat-status", "steps=[{kind: diagnostic, template: rm}]"
    )
    assert bad.exit_code == 2
    assert bad.stderr.startswith(
        "warden: playbook iot.overheat-status: steps.0.diagnostic: unknown diagnostic template 'rm'"
    )
