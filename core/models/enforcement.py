"""What the reconciler publishes after every pass (the run-time setting ``enforcement``), for
``warden enforcement status``, the metrics and the planning of other processes.

Its JSON is the contract: readers in other processes parse it with ``EnforcementState``
(``core.services.enforcement_state``), and Prometheus reads the same keys.
"""

from __future__ import annotations

from pydantic import BaseModel

from core.ports import KernelFeatures

ENFORCEMENT_STATE_KEY = "enforcement"


class EnforcementMode(BaseModel):
    """Each backend's mode: ``kernel``, or ``dry-run`` when nothing is really changed."""

    tc: str
    nft: str


class ApplyTimings(BaseModel):
    """The apply-latency histogram since the agent started (``Timings.snapshot()``):
    cumulative counts by upper bound in seconds, their sum and count."""

    buckets: dict[str, int]
    sum: float
    count: int


class KernelFeatureList(BaseModel):
    """What the kernel the agent runs on offers (as ``enforcement.probe`` found it)."""

    kernel: str
    """``platform.release()``: features probed on another kernel are not trusted."""
    qdiscs: list[str]
    classifiers: list[str]
    actions: list[str]

    def as_features(self) -> KernelFeatures:
        return KernelFeatures(
            qdiscs=frozenset(self.qdiscs),
            classifiers=frozenset(self.classifiers),
            actions=frozenset(self.actions),
        )


class EnforcementState(BaseModel):
    """The last reconcile pass and the counters since the agent started."""

    mode: EnforcementMode
    applied: int = 0
    """Policies the kernel holds after the pass."""
    dry_run: int = 0
    """Policies recorded but not applied, because enforcement is a dry run here."""
    repaired: list[str] = []
    """Drift found and repaired by the pass (restores after a start included)."""
    failed: dict[int, str] = {}
    """Policy id → the kernel's reason it could not be applied."""
    waiting: dict[int, str] = {}
    """Policy id → why it is not applied yet (no address, outside its schedule…)."""
    error: str | None = None
    """Why nothing could be applied at all."""
    repairs_total: int = 0
    apply_seconds: ApplyTimings
    features: KernelFeatureList
    at_ms: int


class EnforcementStatePublic(EnforcementState):
    """The state as another process reads it back."""

    updated_at: str
    """When it was published (ISO 8601)."""
    running: bool
    """Whether it is fresh: the agent published it within the staleness window."""
