"""The reconciler: make the kernel and the devices hold what the live policies say, and
keep it so. This is the I/O shell of a pass; the pass itself is planned by
``reconcile_plan`` (pure), and every status it changes goes through ``intent_lifecycle``.

A pass ends intents whose ``duration_s`` ran out (``expired``), reads the live network
policies and the kernel (once), plans, applies the plan when the kernel differs (and always
on the first pass after start, so policies survive a reboot or a flushed interface), moves
the device policies on (``device_config``), settles each intent's status and publishes the
pass (``EnforcementState``). State that changed under an applied policy (a class deleted by
hand) is repaired and reported as an ``enforcement.drift`` finding.

Time: an intent with a schedule holds only inside its window and waits as ``scheduled``
outside it, with its network policies removed from the kernel. ``next_change()`` says when
the next edge (an expiry, a window opening or closing) is, so the agent can wake for it.

A failed apply is undone per intent: the pass is retried without the intents that were not
active yet, which are marked ``failed`` with the kernel's reason, so one bad new intent
cannot take the others down with it.
"""

from __future__ import annotations

import logging
import platform
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlmodel import Session

from core.clock import Clock, to_ms
from core.db import Database
from core.errors import EnforcementError
from core.models import Actor, IntentStatus, PolicyStatus
from core.models.enforcement import (
    ApplyTimings,
    EnforcementMode,
    EnforcementState,
    KernelFeatureList,
)
from core.ports import Firewall, FirewallRule, TrafficShaper
from core.services import enforcement_state, findings, intent_lifecycle, policies
from core.services.policies import LiveIntent, LivePolicy
from core.timings import Timings
from enforcement import intent_timing
from enforcement.device_config import sync_device_policy
from enforcement.enforcement_plan import KernelPlan, PolicyView, plan_kernel
from enforcement.reconcile_plan import KernelSnapshot, plan_pass, policy_states

log = logging.getLogger(__name__)

RECONCILER_ACTOR = "enforcement"
"""Who the reconciler's own changes (intent activated or failed) are recorded as."""
APPLY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds of the apply-latency histogram the agent publishes (Prometheus ``le``)."""


@dataclass(slots=True)
class ReconcileReport:
    mode: EnforcementMode
    applied: int = 0
    dry_run: int = 0
    repaired: list[str] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    waiting: dict[int, str] = field(default_factory=dict)
    error: str | None = None


class Reconciler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        shaper: TrafficShaper,
        firewall: Firewall,
        link_rate_bps: int,
        tz: tzinfo | None = None,
    ) -> None:
        """``tz``: the zone schedules are read in (None: the gateway's local time)."""
        self._db = db
        self._clock = clock
        self.shaper = shaper
        self.firewall = firewall
        self._link = link_rate_bps
        self._tz = tz
        self._netem = "netem" in shaper.features().qdiscs
        self._actor = Actor.system(RECONCILER_ACTOR)
        self.last: ReconcileReport | None = None
        self.apply_seconds = Timings(APPLY_BUCKETS_S)
        """Since this process started."""
        self._repairs_total = 0
        """Drift repaired since this process started (restores after a start are not)."""
        self._restoring = True
        """The first pass after start restores state (a reboot flushes the kernel): that
        is not drift and raises no finding."""
        self._lock = threading.Lock()
        """Passes come from the change feed and from timing edges: one at a time."""
        self._firewall_reader = ThreadPoolExecutor(1, thread_name_prefix="firewall-read")

    def reconcile(self) -> ReconcileReport:
        """One pass; never raises for a kernel refusal (it is recorded instead)."""
        with self._lock:
            return self._pass()

    def _pass(self) -> ReconcileReport:
        report = ReconcileReport(mode=EnforcementMode(tc=self.shaper.mode, nft=self.firewall.mode))
        now = self._clock.now()
        # nft is a process to spawn: it runs while the database and tc are read.
        firewall_read = self._firewall_reader.submit(self.firewall.read)
        with self._db.reader() as session:
            read = self._read_live(session, now, expired=False)
        if read is None:  # an intent's duration ran out: end it first
            with self._db.writer() as session:
                intent_lifecycle.expire_due(session=session, actor=self._actor, now=now)
            with self._db.reader() as session:
                read = self._read_live(session, now, expired=True)
        assert read is not None
        closed, live, kept = read
        views = [PolicyView(p.id, p.intent_id, p.address, p.spec, kept.get(p.id)) for p in live]
        planned = plan_pass(
            views,
            self._read_kernel(firewall_read),
            applied={p.id for p in live if p.status == PolicyStatus.APPLIED},
            link_rate_bps=self._link,
            netem=self._netem,
        )
        kernel = planned.kernel
        report.waiting = dict(kernel.waiting)
        try:
            if planned.differs or self._restoring:  # a steady kernel is left alone
                self._apply(
                    kernel,
                    shaping=planned.shaping_differs or self._restoring,
                    firewall=planned.firewall_differs or self._restoring,
                )
        except EnforcementError as exc:
            kernel = self._without_new_intents(live, views, str(exc), report)
        report.repaired = planned.drift if not report.error else []
        self._repairs_total += len(report.repaired) if not self._restoring else 0
        self._record(kernel, report, live, closed, drift_finding=not self._restoring)
        if self._restoring and planned.drift:
            log.info("enforcement restored after start: %s", "; ".join(planned.drift))
        self._restoring = False
        self.last = report
        return report

    def _read_live(
        self, session: Session, now: datetime, *, expired: bool
    ) -> tuple[dict[int, str], list[LivePolicy], dict[int, int]] | None:
        """(closed intents, live network policies, kept class minors) from one snapshot;
        None when an intent is due to expire and ``expired`` (the due ones were ended) is
        not set yet: the write transaction, and its fsync, only then."""
        live_intents = policies.live_intents(session=session)
        due = any(i.expires_at is not None and i.expires_at <= now for i in live_intents)
        if due and not expired:
            return None
        closed = self._closed(live_intents, now)
        live = policies.live_network_policies(session=session, skip=closed)
        kept = policies.kept_classes(session=session, policies=live, intents=live_intents)
        return closed, live, kept

    def _without_new_intents(
        self, live: Sequence[LivePolicy], views: list[PolicyView], why: str, report: ReconcileReport
    ) -> KernelPlan:
        """The kernel refused the plan: fail the intents that were not active yet and apply
        the rest; if even that is refused, everything fails."""
        fresh = {p.intent_id for p in live if p.intent_status != IntentStatus.ACTIVE}
        report.failed = {p.id: why for p in live if p.intent_id in fresh}
        kernel = plan_kernel(
            [v for v in views if v.intent_id not in fresh],
            link_rate_bps=self._link,
            netem=self._netem,
        )
        try:
            self._apply(kernel)
        except EnforcementError as again:
            report.error = str(again)
            report.failed = {p.id: str(again) for p in live}
            log.error("enforcement failed: %s", again)
        return kernel

    def _read_kernel(self, firewall_read: Future[Sequence[FirewallRule]]) -> KernelSnapshot:
        try:
            shaping = self.shaper.read()
        except EnforcementError as exc:
            firewall_read.exception()  # waited for, so passes never overlap
            return KernelSnapshot(unreadable=str(exc))
        try:
            return KernelSnapshot(shaping, firewall_read.result())
        except EnforcementError as exc:
            return KernelSnapshot(unreadable=str(exc))

    def _apply(self, kernel: KernelPlan, *, shaping: bool = True, firewall: bool = True) -> None:
        """Apply the plan to the backends that differ from it (both by default)."""
        started = self._clock.monotonic()
        try:
            if shaping:
                self.shaper.apply(kernel.shaping)
            if firewall:
                self.firewall.apply(kernel.firewall)
        finally:
            self.apply_seconds.observe(self._clock.monotonic() - started)

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(self._tz)

    def _closed(self, live: Sequence[LiveIntent], now: datetime) -> dict[int, str]:
        """Live intents outside their schedule's window → why they wait."""
        local = self._local(now)
        closed = {}
        for intent in live:
            if intent.schedule is None or intent_timing.in_window(intent.schedule, local):
                continue
            opens = intent_timing.next_change(intent.schedule, local)
            closed[intent.id] = (
                f"outside its schedule ({intent_timing.describe(intent.schedule)})"
                + (f"; holds again from {opens:%a %H:%M}" if opens else "")
            )
        return closed

    def next_change(self) -> datetime | None:
        """The next time an intent expires or a schedule opens or closes (UTC)."""
        local = self._local(self._clock.now())
        with self._db.reader() as session:
            live = policies.live_intents(session=session)
        edges = [i.expires_at for i in live if i.expires_at is not None]
        edges += [e for i in live if (e := intent_timing.next_change(i.schedule, local))]
        return min(edges, default=None)

    def _record(
        self,
        kernel: KernelPlan,
        report: ReconcileReport,
        live: Sequence[LivePolicy],
        closed: dict[int, str],
        *,
        drift_finding: bool,
    ) -> None:
        """Policies and intents as the pass left them (device policies moved on one step);
        drift of applied policies → a finding; the pass published."""
        now = self._clock.now()
        states = policy_states(
            kernel,
            [p.id for p in live],
            failed=report.failed,
            waiting=report.waiting,
            applied_ok=report.error is None,
            dry_run=self._dry_run(),
        )
        with self._db.writer() as session:
            intent_lifecycle.record_network_states(session=session, states=states, now=now)
            intent_lifecycle.hold_back(session=session, closed=closed, now=now)
            for policy in policies.pending_device_policies(session=session, skip=closed):
                sync_device_policy(session, policy, actor=self._actor, now=now)
            intent_lifecycle.settle(session=session, closed=closed, actor=self._actor, now=now)
            if drift_finding and report.repaired:
                findings.raise_finding(
                    session=session,
                    firing=findings.FindingIn(
                        rule_id="enforcement.drift",
                        severity="medium",
                        key="kernel",
                        ts_ms=to_ms(now),
                        count=len(report.repaired),
                        summary="kernel state drifted and was repaired: "
                        + "; ".join(report.repaired)[:400],
                        details={"repaired": report.repaired},
                    ),
                    now=now,
                )
            report.applied = sum(s.status == PolicyStatus.APPLIED for s in states.values())
            report.dry_run = sum(s.status == PolicyStatus.DRY_RUN for s in states.values())
            enforcement_state.publish(session=session, state=self.state(report), now=now)
            session.commit()

    def _dry_run(self) -> dict[str, str]:
        """The backends that only record (``tc``, ``nft``) → why."""
        return {
            backend: why
            for backend, why in (
                ("tc", self.shaper.dry_run_reason),
                ("nft", self.firewall.dry_run_reason),
            )
            if why is not None
        }

    def state(self, report: ReconcileReport) -> EnforcementState:
        features = self.shaper.features()
        return EnforcementState(
            mode=report.mode,
            applied=report.applied,
            dry_run=report.dry_run,
            repaired=report.repaired,
            failed=report.failed,
            waiting=report.waiting,
            error=report.error,
            repairs_total=self._repairs_total,
            apply_seconds=ApplyTimings.model_validate(self.apply_seconds.snapshot()),
            features=KernelFeatureList(
                kernel=platform.release(),
                qdiscs=sorted(features.qdiscs),
                classifiers=sorted(features.classifiers),
                actions=sorted(features.actions),
            ),
            at_ms=to_ms(self._clock.now()),
        )
