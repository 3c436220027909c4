"""The intent bar of both consoles: a sentence read as the operator types it, and its plan.

``preview`` is what shows under the bar at every (debounced) keystroke: the parse error
with its suggestions, or each intent's explanation and the devices and addresses its
targets resolve to (the registry is read; nothing is compiled or stored).
``plan`` is what Plan (``p`` in the terminal) shows: ``core.services.intents.plan``, whose
policies are grouped by where they land (kernel classes, nft rules, device commands) and
whose conflicts are put as sentences, so no front end reads a policy or a conflict itself.
"""

from __future__ import annotations

from sqlmodel import Session, SQLModel

from core.errors import WardenError
from core.intents import ParseFailure, parse_intent
from core.intents.grounding import ground
from core.ports import KernelFeatures
from core.services import intents
from core.services.intents import PlanPublic
from core.services.resolve import declared_settings, fleet_of, resolve_targets

NETWORK_KINDS = ("shape", "impair")
"""Policy kinds that become kernel (tc) classes; ``firewall`` ones become nft rules and
``device_*`` ones device commands."""


class PreviewedIntent(SQLModel):
    explanation: str
    targets: list[str]
    """The ids of the devices it resolves to, then bare addresses; empty when nothing
    matches (yet)."""


class IntentPreview(SQLModel):
    text: str
    error: ParseFailure | None = None
    """Why the sentence cannot be read (with suggestions); None when it can."""
    intents: list[PreviewedIntent] = []
    warnings: list[str] = []
    """The parser's and the registry's (a selector that matched nothing, say)."""

    @property
    def ok(self) -> bool:
        return self.error is None


def preview(*, session: Session, text: str) -> IntentPreview:
    """How ``text`` reads and what it targets now. Reads only."""
    result = parse_intent(text)
    if not result.ok:
        failed = parse_intent(text, fleet=fleet_of(session=session))
        return IntentPreview(text=text, error=failed.error)
    shown, warnings = [], list(result.warnings)
    for intent in result.intents:
        try:
            resolution = resolve_targets(session=session, targets=intent.targets)
        except WardenError as error:  # a selector the registry cannot use
            shown.append(PreviewedIntent(explanation=intent.explanation, targets=[]))
            warnings.append(error.msg)
            continue
        targets = [d.id for d in resolution.devices] + resolution.addresses
        grounded, refused = ground(intent, declared_settings(resolution))
        shown.append(PreviewedIntent(explanation=grounded.explanation, targets=targets))
        warnings.extend(resolution.warnings)
        warnings.extend(refused)
    return IntentPreview(text=text, intents=shown, warnings=warnings)


class PlannedChange(SQLModel):
    target: str
    """The device id, the bare address, or ``all``."""
    summary: str


class PlanPreview(SQLModel):
    """A plan as a person checks it before applying."""

    text: str
    ok: bool
    """False when submitting would be refused (conflicts, refusals)."""
    kernel: list[PlannedChange]
    """tc classes (shaping, impairments)."""
    firewall: list[PlannedChange]
    """nftables rules."""
    devices: list[PlannedChange]
    """Device commands, settings and registry flags."""
    conflicts: list[str]
    refusals: list[str]
    warnings: list[str]
    notes: list[str]
    rendered: str
    """The whole plan as plain text."""

    @property
    def empty(self) -> bool:
        return not (self.kernel or self.firewall or self.devices)


def plan(*, session: Session, text: str, features: KernelFeatures | None) -> PlanPreview:
    """What submitting ``text`` would change, for showing (``features``: what the kernel
    offers, ``core.kernel.features()``; it is not optional, so no front end plans as if
    the kernel had everything by forgetting it). Reads only; ``IntentNotUnderstood`` when
    the sentence cannot be read."""
    return _shown(intents.plan(session=session, text=text, features=features))


def _shown(planned: PlanPublic) -> PlanPreview:
    """The one place that reads the plan's policies and conflicts."""
    groups: dict[str, list[PlannedChange]] = {"kernel": [], "firewall": [], "devices": []}
    for policy in planned.policies:
        kind = str(policy.kind)
        target = policy.device_id or policy.address or "all"
        change = PlannedChange(target=target, summary=policy.summary)
        if kind in NETWORK_KINDS:
            groups["kernel"].append(change)
        elif kind == "firewall":
            groups["firewall"].append(change)
        elif kind.startswith("device_"):
            groups["devices"].append(change)
    return PlanPreview(
        text=planned.text,
        ok=planned.ok,
        **groups,
        conflicts=[conflict.message for conflict in planned.conflicts],
        refusals=planned.refusals,
        warnings=planned.warnings,
        notes=planned.notes,
        rendered=planned.rendered,
    )
