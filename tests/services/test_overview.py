"""The consoles' one-glance summary: counts by status, severity and verdict, and what the
agent's heartbeat says about the daemon."""

from __future__ import annotations

from datetime import timedelta

from core.services import findings, overview, runtime
from core.services.overview import Overview, daemon_state, ingest_rate
from tests.factories import FakeClock, make_device

T0 = 1_770_890_400_000


def firing(key: str, severity: str) -> findings.FindingIn:
    return findings.FindingIn(
        rule_id="security.ssh_bruteforce",
        severity=severity,
        key=key,
        ts_ms=T0,
        count=1,
        evidence=[],
        summary=f"failed logins from {key}",
    )


def test_counts_devices_findings_and_says_the_daemon_never_ran(core):
    clock = FakeClock()
    with core.db.writer() as session:
        make_device(session, id="meter-1", seen_at=clock.now())
        make_device(session, id="meter-2")
        for key, severity in [("a", "high"), ("b", "high"), ("c", "low")]:
            findings.raise_finding(session=session, firing=firing(key, severity), now=clock.now())
    with core.db.reader() as session:
        summary = overview.overview(session=session, now=clock.now(), gateway="gw-1")
    assert summary.devices_by_status == {"online": 1, "unknown": 1}
    assert summary.findings_by_severity == {
        "critical": 0,
        "high": 2,
        "medium": 0,
        "low": 1,
        "info": 0,
    }
    assert (summary.devices, summary.open_findings, summary.gateway) == (2, 3, "gw-1")
    assert summary.daemon.label == "never ran"


def test_a_fresh_heartbeat_is_running_and_a_stale_one_is_not(core):
    clock = FakeClock()
    beat = {
        "pid": 42,
        "brokers": [
            {"url": "mqtt://a", "connected": True},
            {"url": "mqtt://b", "connected": False},
        ],
        "enforcement": {"tc": "dry-run", "nft": "dry-run"},
        "dry_run": ["WARDEN_ENFORCEMENT=dry-run"],
    }
    with core.db.writer() as session:
        runtime.put_state(session=session, key=runtime.AGENT_KEY, value=beat, now=clock.now())
    with core.db.reader() as session:
        fresh = overview.overview(session=session, now=clock.now(), gateway="gw")
        stale = overview.overview(
            session=session, now=clock.now() + timedelta(minutes=5), gateway="gw"
        )
    assert (fresh.daemon.label, fresh.daemon.brokers_up, fresh.daemon.pid) == (
        "running (dry run)",
        1,
        42,
    )
    assert stale.daemon.label == "not running"


def test_kernel_mode_is_not_a_dry_run():
    state = daemon_state({"running": True, "enforcement": {"tc": "kernel", "nft": "kernel"}})
    assert (state.dry_run, state.label) == (False, "running")


def test_ingest_rate_between_two_overviews():
    clock = FakeClock()
    first = Overview(
        gateway="g",
        at=clock.now(),
        daemon=daemon_state(None),
        devices_by_status={},
        findings_by_severity={},
        intents_by_verdict={},
        received=100,
    )
    later = first.model_copy(update={"at": clock.now() + timedelta(seconds=4), "received": 300})
    assert ingest_rate(None, first) is None
    assert ingest_rate(first, later) == 50.0
    assert ingest_rate(later, first) is None  # time went backwards: no figure
