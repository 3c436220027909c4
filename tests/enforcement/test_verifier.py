"""The verification loop over a database and backends one level down: a dry run can verify
nothing; a limit is judged by its class first and by its measured rate after; repeated
violations raise a finding that a satisfied check resolves; the history is kept a week."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import FindingStatus, IntentStatus, PolicyStatus, Verdict
from core.services import findings, intents
from core.services.intent_lifecycle import VIOLATED_RULE
from enforcement.dryrun import DryRunFirewall, DryRunShaper
from enforcement.reconciler import Reconciler
from enforcement.verifier import Verifier
from tests.enforcement.fakes import FakeFirewall, FakeShaper
from tests.factories import FakeClock, actor, make_device

LINK = 100_000_000
LIMIT = 2_000_000
DEV_IP = "192.168.1.50"


class Gateway:
    """The reconciler and the verifier over the same backends, as the agent runs them."""

    def __init__(self, core, *, shaper=None, firewall=None) -> None:
        self.core = core
        self.clock = FakeClock()
        self.shaper = shaper or FakeShaper()
        self.firewall = firewall or FakeFirewall()
        backends = {"shaper": self.shaper, "firewall": self.firewall, "link_rate_bps": LINK}
        self.reconciler = Reconciler(core.db, self.clock, **backends)
        self.verifier = Verifier(core.db, self.clock, violations_for_finding=2, **backends)
        with core.db.writer() as session:
            make_device(session, id="dev-1", type="camera", seen_at=self.clock.now(), ip=DEV_IP)
            make_device(session, id="meter-1", seen_at=self.clock.now())

    def submit(self, text: str) -> int:
        with self.core.db.writer() as session:
            (stored,), _ = intents.submit(
                session=session, text=text, actor=actor(), now=self.clock.now(), features=None
            )
        self.reconciler.reconcile()
        assert self.intent(stored.id).status == IntentStatus.ACTIVE
        return stored.id

    def submit_dry_run(self, text: str) -> int:
        with self.core.db.writer() as session:
            (stored,), _ = intents.submit(
                session=session, text=text, actor=actor(), now=self.clock.now(), features=None
            )
        self.reconciler.reconcile()
        assert self.intent(stored.id).status_label == "planned (dry run)"
        return stored.id

    def intent(self, intent_id: int):
        with self.core.db.reader() as session:
            return intents.get_intent(session=session, intent_id=intent_id)

    def history(self, intent_id: int):
        with self.core.db.reader() as session:
            return intents.history(session=session, intent_id=intent_id)

    def violated_findings(self):
        with self.core.db.reader() as session:
            return findings.list_findings(session=session, rule_id=VIOLATED_RULE).items

    def minor(self, intent_id: int, direction: str) -> int:
        policy = next(p for p in self.intent(intent_id).policies if p.spec.direction == direction)
        assert policy.applied is not None
        return int(policy.applied["minor"])


@pytest.fixture
def gw(core) -> Gateway:
    return Gateway(core)


def test_a_dry_run_verifies_nothing(core):
    gw = Gateway(core, shaper=DryRunShaper("test"), firewall=DryRunFirewall("test"))
    ids = [gw.submit_dry_run("limit dev-1 to 2 mbit"), gw.submit_dry_run("block dev-1")]
    assert gw.verifier.verify() == {}
    for intent_id in ids:
        shown = gw.intent(intent_id)
        assert (shown.status, shown.verdict) == (IntentStatus.PLANNED, Verdict.UNVERIFIABLE)
        assert shown.verdict_reason == "dry run: test"
        assert shown.verdict_label == "unverifiable (dry run)"
        assert {p.verdict for p in shown.policies} == {None}
        assert (shown.checks, shown.satisfaction) == (0, None)
        assert gw.history(intent_id) == []


def test_a_limit_is_judged_by_its_class_then_by_its_rate(gw):
    limit = gw.submit("limit dev-1 to 2 mbit")
    down = gw.minor(limit, "down")

    assert gw.verifier.verify() == {limit: Verdict.SATISFIED}
    first = gw.intent(limit)
    assert {p.measured["class_rate_bps"] for p in first.policies} == {float(LIMIT)}

    gw.clock.advance(10)
    gw.shaper.send(down, bps=2 * LIMIT, seconds=10)
    assert gw.verifier.verify() == {limit: Verdict.VIOLATED}
    shown = gw.intent(limit)
    assert shown.verdict_reason == ("dev-1: class_rate_bps 4e+06 against at most 2e+06 (100% over)")
    rates = {p.spec.direction: (p.verdict, p.measured["class_rate_bps"]) for p in shown.policies}
    assert rates == {"down": (Verdict.VIOLATED, 4e6), "up": (Verdict.SATISFIED, 0.0)}

    gw.clock.advance(10)
    gw.shaper.send(down, bps=LIMIT * 1.1, seconds=10)
    assert gw.verifier.verify() == {limit: Verdict.DEGRADED}

    gw.clock.advance(10)
    gw.shaper.send(down, bps=LIMIT * 0.5, seconds=10)
    assert gw.verifier.verify() == {limit: Verdict.SATISFIED}


def test_consecutive_violations_raise_a_finding_that_a_satisfied_check_resolves(gw):
    limit = gw.submit("limit dev-1 to 2 mbit")
    down = gw.minor(limit, "down")
    gw.verifier.verify()

    gw.clock.advance(10)
    gw.shaper.send(down, bps=2 * LIMIT, seconds=10)
    gw.verifier.verify()
    assert gw.violated_findings() == []  # one violation is not yet a finding

    gw.clock.advance(10)
    gw.shaper.send(down, bps=2 * LIMIT, seconds=10)
    gw.verifier.verify()
    (finding,) = gw.violated_findings()
    assert (finding.key, finding.status) == (f"intent:{limit}", FindingStatus.OPEN)
    assert "violated 2 checks in a row" in finding.summary

    gw.clock.advance(10)
    gw.verifier.verify()  # nothing sent: well under the limit
    (finding,) = gw.violated_findings()
    assert finding.status == FindingStatus.RESOLVED


def test_a_class_missing_from_the_kernel_is_a_violation(gw):
    limit = gw.submit("limit dev-1 to 2 mbit")
    down = gw.minor(limit, "down")
    gw.verifier.verify()
    del gw.shaper.classes[down]
    assert gw.verifier.verify() == {limit: Verdict.VIOLATED}
    reason = gw.intent(limit).verdict_reason or ""
    assert f"class {down:#x} is missing from the kernel" in reason
    assert "missing" in reason


def test_an_unreadable_kernel_makes_every_check_unverifiable(gw):
    limit = gw.submit("limit dev-1 to 2 mbit")
    gw.shaper.broken = "netlink: permission denied"
    assert gw.verifier.verify() == {limit: Verdict.UNVERIFIABLE}
    reason = gw.intent(limit).verdict_reason or ""
    assert "cannot read the kernel state: netlink: permission denied" in reason


def test_a_block_is_judged_by_the_rule_the_firewall_holds(gw):
    block = gw.submit("block dev-1")
    assert gw.verifier.verify() == {block: Verdict.SATISFIED}
    gw.firewall.rules = []
    assert gw.verifier.verify() == {block: Verdict.VIOLATED}
    assert gw.intent(block).verdict_reason == "dev-1: firewall_action is None, wanted 'block'"


def test_satisfaction_and_history(gw):
    limit = gw.submit("limit dev-1 to 2 mbit")
    down = gw.minor(limit, "down")
    assert gw.intent(limit).satisfaction is None  # never checked
    started = gw.clock.now()
    for over in (False, True, True, False):
        gw.clock.advance(10)
        if over:
            gw.shaper.send(down, bps=2 * LIMIT, seconds=10)
        gw.verifier.verify()

    shown = gw.intent(limit)
    assert (shown.checks, shown.satisfaction) == (4, 0.5)
    rows = gw.history(limit)
    assert [r.verdict for r in rows] == [
        Verdict.SATISFIED,
        Verdict.VIOLATED,
        Verdict.VIOLATED,
        Verdict.SATISFIED,
    ]
    assert [r.at for r in rows] == [started + timedelta(seconds=s) for s in (40, 30, 20, 10)]
    assert rows[1].reason == "dev-1: class_rate_bps 4e+06 against at most 2e+06 (100% over)"

    # A week and 15 s after the second check: the two older ones are pruned.
    gw.clock.advance(7 * 86400 - 15)
    gw.verifier.verify()
    kept = gw.history(limit)
    assert [r.at for r in kept] == [gw.clock.now()] + [
        started + timedelta(seconds=s) for s in (40, 30)
    ]
    gw.clock.advance(8 * 86400)
    gw.verifier.verify()
    assert [r.at for r in gw.history(limit)] == [gw.clock.now()]
    assert gw.intent(limit).checks == 6  # the counters behind the ratio are not pruned


def test_a_disabled_device_is_verified_from_the_registry(gw):
    disable = gw.submit("disable meter-1")
    (policy,) = gw.intent(disable).policies
    assert (policy.kind, policy.status) == ("device_state", PolicyStatus.APPLIED)
    assert gw.verifier.verify() == {disable: Verdict.SATISFIED}
    (policy,) = gw.intent(disable).policies
    assert policy.measured == {"device_enabled": False}
    assert gw.intent(disable).verdict_reason == "meter-1: device_enabled is False"
