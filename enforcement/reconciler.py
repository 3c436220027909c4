"""The reconciler: make the kernel and the devices hold what the live policies say, and
keep it so.

Desired state is planned from the live network policies (``core.enforcement_plan``);
actual state is read back from the backends (``TrafficShaper``, ``Firewall``). A pass
diffs them and applies the difference; it runs on start-up (so policies survive a reboot
or a flushed interface), after intent changes and on a timer. State that changed under an
applied policy (a class deleted by hand) is repaired and reported as an
``enforcement.drift`` finding. Device policies go through the command queue
(``core.device_enforcement``).

Time: a pass first ends intents whose ``duration_s`` ran out (``expired``); an intent with
a schedule holds only inside its window and waits as ``scheduled`` outside it, with its
network policies removed from the kernel. ``next_change()`` says when the next such edge
is, so the agent can wake for it.

A failed apply is undone per intent: the pass is retried without the intents that were
not active yet, which are marked ``failed`` with the kernel's reason, so one bad new
intent cannot take the others down with it.
"""

from __future__ import annotations

import logging
import platform
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from core.clock import Clock, to_ms
from core.db import Database
from core.errors import EnforcementError
from core.models import Actor, Device, IntentRecord, IntentStatus, PolicyRecord, PolicyStatus
from core.ports import Firewall, ShapeClass, TrafficShaper
from core.services import findings, runtime
from core.services.changes import record_change
from enforcement import intent_timing
from enforcement.device_config import DEVICE_KINDS, sync_device_policy
from enforcement.enforcement_plan import KernelPlan, PolicyView, plan_kernel

log = logging.getLogger(__name__)

STATE_KEY = "enforcement"
RECONCILER_ACTOR = "enforcement"
"""Who the reconciler's own changes (intent activated or failed) are recorded as."""
NETWORK_KINDS = ("shape", "firewall", "impair")
LIVE = tuple(s for s in IntentStatus if s.live)
HELD = (PolicyStatus.PENDING, PolicyStatus.APPLIED)
APPLY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds of the apply-latency histogram the agent publishes (Prometheus ``le``)."""
RATE_TOLERANCE = 0.01
"""Kernel rates are stored in bytes per second and rounded; 1 % covers it."""


@dataclass(slots=True)
class ReconcileReport:
    mode: dict[str, str]
    applied: int = 0
    repaired: list[str] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    waiting: dict[int, str] = field(default_factory=dict)
    error: str | None = None


def same_class(desired: ShapeClass, actual: ShapeClass, link_rate_bps: int) -> bool:
    """Whether the kernel's class enforces ``desired`` (rates within rounding; a burst or
    leaf left to the backend is not compared)."""

    def close(a: int, b: int) -> bool:
        return abs(a - b) <= max(a, b) * RATE_TOLERANCE

    return (
        (desired.minor, desired.address, desired.direction, desired.prio)
        == (actual.minor, actual.address, actual.direction, actual.prio)
        and close(desired.rate_bps, actual.rate_bps)
        and close(desired.ceil_bps or link_rate_bps, actual.ceil_bps or link_rate_bps)
        and _same_netem(desired, actual)
    )


def _same_netem(desired: ShapeClass, actual: ShapeClass) -> bool:
    """Netem times are kept in microseconds (or ticks) by the kernel: compare to 0.1 ms."""
    if desired.netem is None or actual.netem is None:
        return desired.netem is actual.netem
    want, have = asdict(desired.netem), asdict(actual.netem)
    return all(abs(want[k] - have[k]) < 0.1 for k in want)


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
        self.last: ReconcileReport | None = None
        self._restoring = True
        self._apply_counts = [0] * len(APPLY_BUCKETS_S)
        self._apply_sum = 0.0
        self._apply_count = 0
        self._repairs_total = 0
        """Since this process started: the apply-latency histogram and drift repairs."""
        self._lock = threading.Lock()
        """Passes come from the change feed and from timing edges: one at a time."""
        """The first pass after start restores state (a reboot flushes the kernel): that
        is not drift and raises no finding."""

    def reconcile(self) -> ReconcileReport:
        """One pass; never raises for a kernel refusal (it is recorded instead)."""
        with self._lock:
            return self._pass()

    def _pass(self) -> ReconcileReport:
        report = ReconcileReport(mode={"tc": self.shaper.mode, "nft": self.firewall.mode})
        now = self._clock.now()
        with self._db.writer() as session:
            self._expire(session, now)
        with self._db.reader() as session:
            closed = self._closed(session, now)
            views, intent_of, status_of, applied = self._live_policies(session, closed)
        plan = self._plan(views)
        report.waiting = dict(plan.waiting)
        differs, drift = self._diff(plan, applied)
        try:
            if differs or self._restoring:  # a steady kernel is left alone
                self._apply(plan)
        except EnforcementError as exc:
            fresh = {i for i, s in status_of.items() if s != IntentStatus.ACTIVE}
            report.failed = {pid: str(exc) for pid, i in intent_of.items() if i in fresh}
            plan = self._plan([v for v in views if v.intent_id not in fresh])
            try:
                self._apply(plan)
            except EnforcementError as again:
                report.error = str(again)
                report.failed = {pid: str(again) for pid in intent_of}
                log.error("enforcement failed: %s", again)
        report.repaired = drift if not report.error else []
        self._repairs_total += len(report.repaired) if not self._restoring else 0
        report.applied = self._record(
            plan, report, intent_of, closed, drift_finding=not self._restoring
        )
        if self._restoring and drift:
            log.info("enforcement restored after start: %s", "; ".join(drift))
        self._restoring = False
        self.last = report
        return report

    def _plan(self, views: list[PolicyView]) -> KernelPlan:
        return plan_kernel(views, link_rate_bps=self._link, netem=self._netem)

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(self._tz)

    def _expire(self, session: Session, now: datetime) -> None:
        """Live intents whose duration ran out end as ``expired``."""
        due = session.exec(
            select(IntentRecord).where(
                col(IntentRecord.status).in_([str(s) for s in LIVE]),
                col(IntentRecord.expires_at).is_not(None),
                col(IntentRecord.expires_at) <= now,
            )
        ).all()
        for intent in due:
            intent.status = IntentStatus.EXPIRED
            intent.ended_at = intent.updated_at = now
            intent.note = "its duration ran out"
            session.add(intent)
            for policy in session.exec(
                select(PolicyRecord).where(PolicyRecord.intent_id == intent.id)
            ):
                policy.status, policy.updated_at = PolicyStatus.REMOVED, now
                session.add(policy)
            record_change(
                session=session,
                actor=Actor.system(RECONCILER_ACTOR),
                kind="intent.expired",
                entity="intent",
                entity_id=str(intent.id),
                summary=f"intent {intent.id} expired",
            )
        session.commit()

    def _closed(self, session: Session, now: datetime) -> dict[int, str]:
        """Live intents outside their schedule's window → why they wait."""
        local = self._local(now)
        closed = {}
        for intent in session.exec(
            select(IntentRecord).where(col(IntentRecord.status).in_([str(s) for s in LIVE]))
        ):
            schedule = intent.parsed.get("schedule")
            if not intent_timing.in_window(schedule, local):
                opens = intent_timing.next_change(schedule, local)
                closed[intent.id] = (  # type: ignore[index]
                    f"outside its schedule ({intent_timing.describe(schedule)})"
                    + (f"; holds again from {opens:%a %H:%M}" if opens else "")
                )
        return closed

    def next_change(self) -> datetime | None:
        """The next time an intent expires or a schedule opens or closes (UTC)."""
        now = self._clock.now()
        local = self._local(now)
        edges: list[datetime] = []
        with self._db.reader() as session:
            for intent in session.exec(
                select(IntentRecord).where(col(IntentRecord.status).in_([str(s) for s in LIVE]))
            ):
                if intent.expires_at is not None:
                    edges.append(intent.expires_at)
                edge = intent_timing.next_change(intent.parsed.get("schedule"), local)
                if edge is not None:
                    edges.append(edge)
        return min(edges, default=None)

    def _live_policies(
        self, session: Session, closed: dict[int, str]
    ) -> tuple[list[PolicyView], dict[int, int], dict[int, IntentStatus], set[int]]:
        """Views of the live network policies, their intents, the intents' statuses and
        the policies already applied before this pass."""
        rows = session.exec(
            select(PolicyRecord, IntentRecord.status)
            .join(IntentRecord, col(IntentRecord.id) == col(PolicyRecord.intent_id))
            .where(
                col(IntentRecord.status).in_([str(s) for s in LIVE]),
                col(IntentRecord.id).not_in(list(closed)),
                col(PolicyRecord.kind).in_(NETWORK_KINDS),
                col(PolicyRecord.status).in_([str(s) for s in HELD]),
            )
        ).all()
        # A device's address is its current one (DHCP may have moved it since the intent
        # was planned); a bare address target keeps the one it was given.
        current_ip = {
            d.id: d.ip
            for d in session.exec(
                select(Device).where(col(Device.id).in_({p.device_id for p, _ in rows}))
            )
        }
        views = [
            PolicyView(
                p.id,  # type: ignore[arg-type]
                p.intent_id,
                p.kind,
                current_ip.get(p.device_id) if p.device_id else p.address,
                dict(p.spec),
            )
            for p, _ in rows
        ]
        intent_of = {p.id: p.intent_id for p, _ in rows}
        status_of = {p.intent_id: IntentStatus(s) for p, s in rows}
        applied = {p.id for p, _ in rows if p.status == PolicyStatus.APPLIED}
        return views, intent_of, status_of, applied  # type: ignore[return-value]

    def _diff(self, plan: KernelPlan, applied: set[int]) -> tuple[bool, list[str]]:
        """(whether the kernel differs from the plan at all, the drift): drift is what
        changed under a policy Warden had already applied (a class deleted or edited by
        hand, a rule gone); a new policy's class is not drift, nor is the leftover of a
        revoked one, which the apply removes."""
        try:
            actual = {c.minor: c for c in self.shaper.read()}
            actual_fw = set(self.firewall.read())
        except EnforcementError as exc:
            return True, [f"cannot read the kernel state: {exc}"]

        def held_before(*keys: tuple[str, int | str]) -> bool:
            return any(plan.owners.get(key) in applied for key in keys)

        differs = False
        drift = []
        for wanted in plan.shaping:
            have = actual.pop(wanted.minor, None)
            if have is not None and same_class(wanted, have, self._link):
                continue
            differs = True
            if held_before(("shape", wanted.minor), ("impair", wanted.minor)):
                what = "missing" if have is None else "changed"
                drift.append(f"class {wanted.minor:#x} for {wanted.address} {what}")
        wanted_fw = set(plan.firewall)
        for rule in wanted_fw - actual_fw:
            differs = True
            if held_before(("firewall", rule.address)):
                drift.append(f"firewall {rule.action} {rule.address} missing")
        differs |= bool(actual) or bool(actual_fw - wanted_fw)
        return differs, drift

    def _apply(self, plan: KernelPlan) -> None:
        started = self._clock.monotonic()
        try:
            self.shaper.apply(plan.shaping)
            self.firewall.apply(plan.firewall)
        finally:
            self._observe_apply(self._clock.monotonic() - started)

    def _observe_apply(self, seconds: float) -> None:
        for index, bound in enumerate(APPLY_BUCKETS_S):
            if seconds <= bound:
                self._apply_counts[index] += 1
        self._apply_sum += seconds
        self._apply_count += 1

    def _record(
        self,
        plan: KernelPlan,
        report: ReconcileReport,
        intent_of: dict[int, int],
        closed: dict[int, str],
        *,
        drift_finding: bool,
    ) -> int:
        """Policies and intents as the pass left them; drift of applied policies → finding."""
        now = self._clock.now()
        held: dict[int, dict[str, Any]] = {}
        if report.error is None:
            for cls in plan.shaping:
                held[plan.owners["shape", cls.minor]] = asdict(cls)
                if ("impair", cls.minor) in plan.owners:
                    held[plan.owners["impair", cls.minor]] = asdict(cls)
            for rule in plan.firewall:
                held[plan.owners["firewall", rule.address]] = asdict(rule)
        actor = Actor.system(RECONCILER_ACTOR)
        with self._db.writer() as session:
            for policy_id in intent_of:
                policy = session.get(PolicyRecord, policy_id)
                if policy is None:
                    continue
                if policy_id in held:
                    policy.set_state(PolicyStatus.APPLIED, None, held[policy_id], now)
                elif policy_id in report.failed:
                    policy.set_state(PolicyStatus.FAILED, report.failed[policy_id], None, now)
                else:
                    policy.set_state(PolicyStatus.PENDING, report.waiting.get(policy_id), None, now)
                session.add(policy)
            self._sync_live(session, closed, actor, now)
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
            report.applied = len(held)
            runtime.put_state(session=session, key=STATE_KEY, value=self.state(report), now=now)
            session.commit()
        return len(held)

    def _sync_live(
        self, session: Session, closed: dict[int, str], actor: Actor, now: datetime
    ) -> None:
        """Device policies of the intents in their window move on; intents outside it wait
        with their policies pending; then every live intent's status is settled."""
        live = session.exec(
            select(IntentRecord).where(col(IntentRecord.status).in_([str(s) for s in LIVE]))
        ).all()
        for intent in live:
            policies = session.exec(
                select(PolicyRecord).where(PolicyRecord.intent_id == intent.id)
            ).all()
            if intent.id in closed:
                for policy in policies:
                    if policy.kind in NETWORK_KINDS and policy.status in HELD:
                        policy.set_state(PolicyStatus.PENDING, closed[intent.id], None, now)  # type: ignore[index]
                        session.add(policy)
            else:
                for policy in policies:
                    if policy.kind in DEVICE_KINDS:
                        sync_device_policy(session, policy, actor=actor, now=now)
                        session.add(policy)
            self._settle_intent(session, intent, policies, intent.id in closed, actor, now)

    @staticmethod
    def _settle_intent(
        session: Session,
        intent: IntentRecord,
        policies: list[PolicyRecord],
        outside: bool,
        actor: Actor,
        now: datetime,
    ) -> None:
        """Outside its window → scheduled; a network policy failed → failed; every network
        policy held and every device policy answered (or given up on) → active. A device
        that refuses fails its policy but not the intent: the verification loop reports it
        as violated, with the device's reason."""
        network = {p.status for p in policies if p.kind in NETWORK_KINDS}
        device = {p.status for p in policies if p.kind in DEVICE_KINDS}
        if outside:
            new, verb = IntentStatus.SCHEDULED, "scheduled"
        elif PolicyStatus.FAILED in network:
            new, verb = IntentStatus.FAILED, "failed"
        elif network <= {PolicyStatus.APPLIED} and PolicyStatus.PENDING not in device:
            new, verb = IntentStatus.ACTIVE, "activated"
        else:
            return
        if intent.status == new:
            return
        intent.status = new
        intent.updated_at = now
        if new == IntentStatus.FAILED:
            intent.ended_at = now
            intent.note = next((p.last_error for p in policies if p.last_error), None)
        session.add(intent)
        record_change(
            session=session,
            actor=actor,
            kind=f"intent.{verb}",
            entity="intent",
            entity_id=str(intent.id),
            summary=f"intent {intent.id} {verb}",
        )

    def state(self, report: ReconcileReport) -> dict[str, Any]:
        features = self.shaper.features()
        return {
            "mode": report.mode,
            "applied": report.applied,
            "repaired": report.repaired,
            "failed": {str(k): v for k, v in report.failed.items()},
            "waiting": {str(k): v for k, v in report.waiting.items()},
            "error": report.error,
            "repairs_total": self._repairs_total,
            "apply_seconds": {
                "buckets": dict(zip(map(str, APPLY_BUCKETS_S), self._apply_counts, strict=True)),
                "sum": self._apply_sum,
                "count": self._apply_count,
            },
            "features": {
                "kernel": platform.release(),
                "qdiscs": sorted(features.qdiscs),
                "classifiers": sorted(features.classifiers),
                "actions": sorted(features.actions),
            },
            "at_ms": to_ms(self._clock.now()),
        }
