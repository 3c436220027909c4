"""The reconciler over recording backends: intents become kernel state, revokes remove it,
drift is repaired and reported, and one bad intent fails alone. (The real tc and nft
backends are tested in network namespaces under tests/enforcement.)"""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import EnforcementError
from core.models import DeviceUpdate, FindingStatus, IntentStatus, PolicyStatus
from core.ports import ShapeClass
from core.services import devices, enforcement_state, findings, intents, runtime
from enforcement.dryrun import DryRunFirewall, DryRunShaper
from enforcement.reconciler import Reconciler
from tests.enforcement.fakes import FakeFirewall, FakeShaper
from tests.factories import FakeClock, actor, make_device

LINK = 100_000_000


def reconciler(core, clock, shaper=None):
    return Reconciler(
        core.db,
        clock,
        shaper=shaper or FakeShaper(),
        firewall=FakeFirewall(),
        link_rate_bps=LINK,
    )


def submit(core, clock, text):
    with core.db.writer() as session:
        stored, _ = intents.submit(
            session=session, text=text, actor=actor(), now=clock.now(), features=None
        )
    return stored


def intent(core, intent_id):
    with core.db.reader() as session:
        return intents.get_intent(session=session, intent_id=intent_id)


def register(core, clock, device_id="camera-2", ip="192.168.1.52"):
    with core.db.writer() as session:
        make_device(session, id=device_id, type="camera", seen_at=clock.now(), ip=ip)


def test_a_limit_becomes_a_class_and_the_intent_goes_active(core):
    clock = FakeClock()
    register(core, clock)
    (limit,) = submit(core, clock, "limit camera-2 to 2 mbit")
    rec = reconciler(core, clock)
    report = rec.reconcile()
    assert [(c.address, c.direction, c.rate_bps, c.ceil_bps) for c in rec.shaper.read()] == [
        ("192.168.1.52", "down", 2_000_000, 2_000_000),
        ("192.168.1.52", "up", 2_000_000, 2_000_000),
    ]
    assert report.failed == {} and report.error is None
    shown = intent(core, limit.id)
    assert shown.status == IntentStatus.ACTIVE
    assert {p.status for p in shown.policies if p.kind == "shape"} == {PolicyStatus.APPLIED}

    with core.db.writer() as session:
        intents.revoke(session=session, intent_id=limit.id, actor=actor(), now=clock.now())
    rec.reconcile()
    assert rec.shaper.read() == []


def test_a_device_without_an_address_waits_and_is_applied_once_it_has_one(core):
    clock = FakeClock()
    register(core, clock, ip=None)
    (limit,) = submit(core, clock, "limit camera-2 to 2 mbit")
    rec = reconciler(core, clock)
    report = rec.reconcile()
    assert rec.shaper.read() == []
    assert (
        list(report.waiting.values())
        == ["waiting for the device's IP address (learned from DHCP)"] * 2
    )  # download and upload
    assert intent(core, limit.id).status == IntentStatus.PLANNED

    with core.db.writer() as session:
        devices.update_device(
            session=session,
            device_id="camera-2",
            update=DeviceUpdate(ip="192.168.1.52"),
            actor=actor(),
        )
    rec.reconcile()
    assert [c.address for c in rec.shaper.read()] == ["192.168.1.52"] * 2
    assert intent(core, limit.id).status == IntentStatus.ACTIVE


def test_drift_is_repaired_and_reported_but_not_on_the_restoring_first_pass(core):
    clock = FakeClock()
    register(core, clock)
    submit(core, clock, "limit camera-2 to 2 mbit")
    first = reconciler(core, clock)
    first.reconcile()
    applied = first.shaper.read()

    restarted = reconciler(core, clock)  # an empty kernel after a reboot
    report = restarted.reconcile()
    assert restarted.shaper.read() == applied
    assert report.repaired  # restored...
    with core.db.reader() as session:
        assert findings.list_findings(session=session).items == []  # ...but that is no drift

    restarted.shaper.clear()  # someone deletes the class by hand
    report = restarted.reconcile()
    assert restarted.shaper.read() == applied
    assert report.repaired == [f"class {c.minor:#x} for 192.168.1.52 missing" for c in applied]
    with core.db.reader() as session:
        (drift,) = findings.list_findings(session=session).items
    assert (drift.rule_id, drift.status) == ("enforcement.drift", FindingStatus.OPEN)


class RefusingShaper(FakeShaper):
    """Refuses any plan that shapes ``refused``, as a kernel refusing a class would."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    def apply(self, desired: Sequence[ShapeClass]) -> None:
        if any(c.address == self.refused for c in desired):
            raise EnforcementError(f"RTNETLINK answers: Invalid argument ({self.refused})")
        super().apply(desired)


def test_a_new_intent_the_kernel_refuses_fails_alone(core):
    clock = FakeClock()
    register(core, clock)
    register(core, clock, device_id="camera-3", ip="192.168.1.53")
    (old,) = submit(core, clock, "limit camera-2 to 2 mbit")
    rec = reconciler(core, clock, RefusingShaper("192.168.1.53"))
    rec.reconcile()
    (new,) = submit(core, clock, "limit camera-3 to 1 mbit")
    report = rec.reconcile()

    assert [c.address for c in rec.shaper.read()] == ["192.168.1.52"] * 2
    assert intent(core, old.id).status == IntentStatus.ACTIVE
    failed = intent(core, new.id)
    assert failed.status == IntentStatus.FAILED
    assert {p.last_error for p in failed.policies if p.kind == "shape"} == {
        "RTNETLINK answers: Invalid argument (192.168.1.53)"
    }
    assert report.error is None


def test_a_block_becomes_a_firewall_rule(core):
    clock = FakeClock()
    register(core, clock)
    (block,) = submit(core, clock, "block camera-2")
    rec = reconciler(core, clock)
    rec.reconcile()
    assert [(r.address, r.action) for r in rec.firewall.read()] == [("192.168.1.52", "block")]
    assert intent(core, block.id).status == IntentStatus.ACTIVE


def test_a_new_intent_beside_an_applied_one_is_not_drift_and_the_state_counts_it(core):
    clock = FakeClock()
    register(core, clock)
    register(core, clock, device_id="camera-3", ip="192.168.1.53")
    submit(core, clock, "limit camera-2 to 2 mbit")
    rec = reconciler(core, clock)
    rec.reconcile()
    submit(core, clock, "limit camera-3 to 1 mbit")
    report = rec.reconcile()
    assert report.repaired == []
    assert report.applied == 4
    with core.db.reader() as session:
        assert findings.list_findings(session=session, rule_id="enforcement.drift").items == []
        state = runtime.get_state(session=session, key="enforcement", now=clock.now())
    assert state["applied"] == 4


def test_the_published_state_is_typed_and_its_json_keeps_its_shape(core):
    clock = FakeClock()
    register(core, clock, ip=None)
    (limit,) = submit(core, clock, "limit camera-2 to 2 mbit")
    reconciler(core, clock).reconcile()
    with core.db.reader() as session:
        raw = runtime.get_state(session=session, key="enforcement", now=clock.now())
        typed = enforcement_state.read(session=session, now=clock.now())
    assert raw is not None and typed is not None
    assert list(raw) == [
        "mode",
        "applied",
        "dry_run",
        "repaired",
        "failed",
        "waiting",
        "error",
        "repairs_total",
        "apply_seconds",
        "features",
        "at_ms",
        "updated_at",
        "running",
    ]
    assert raw["mode"] == {"tc": "kernel", "nft": "kernel"}
    waiting = "waiting for the device's IP address (learned from DHCP)"
    assert raw["waiting"] == {str(p.id): waiting for p in limit.policies}
    assert typed.waiting == {p.id: waiting for p in limit.policies}
    assert list(raw["apply_seconds"]) == ["buckets", "sum", "count"]
    assert raw["apply_seconds"]["count"] == typed.apply_seconds.count == 1
    assert list(raw["features"]) == ["kernel", "qdiscs", "classifiers", "actions"]
    assert "netem" in typed.features.as_features().qdiscs
    assert typed.running


def test_a_dry_run_records_the_plan_but_never_calls_it_applied_or_active(core):
    """In a dry run nothing reaches the kernel: the intent stays planned, each network
    policy says it was not applied and why (with what the kernel would hold), and the
    verdict says it cannot be verified, without a check counted."""
    clock = FakeClock()
    register(core, clock)
    dry = Reconciler(
        core.db,
        clock,
        shaper=DryRunShaper("this process lacks CAP_NET_ADMIN"),
        firewall=DryRunFirewall("this process lacks CAP_NET_ADMIN"),
        link_rate_bps=LINK,
    )
    (limit,) = submit(core, clock, "limit camera-2 to 2 mbit")
    report = dry.reconcile()
    assert (report.applied, report.dry_run) == (0, 2)
    shown = intent(core, limit.id)
    assert shown.status == IntentStatus.PLANNED
    assert shown.status_label == "planned (dry run)"
    assert shown.dry_run == "dry run: this process lacks CAP_NET_ADMIN"
    assert {p.status for p in shown.policies} == {PolicyStatus.DRY_RUN}
    assert {p.status_label for p in shown.policies} == {
        "not applied — dry run: this process lacks CAP_NET_ADMIN"
    }
    assert all(p.applied and p.applied["rate_bps"] for p in shown.policies)
    assert (shown.verdict, shown.verdict_label) == ("unverifiable", "unverifiable (dry run)")
    assert (shown.checks, shown.satisfaction) == (0, None)
    with core.db.reader() as session:
        state = enforcement_state.read(session=session, now=clock.now())
    assert state is not None and (state.applied, state.dry_run) == (0, 2)

    dry.reconcile()  # a steady dry run changes nothing more
    assert intent(core, limit.id).updated_at == shown.updated_at
