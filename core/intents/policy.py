"""What the compiler takes and gives: resolved intents in, policies, conflicts and notes out.

A ``Policy`` is one thing a backend applies to one target (a registered device or a bare
address): a tc class (``shape``), a netem leaf (``impair``), an nftables rule (``firewall``), an
``update_config`` command (``device_config``), another device command (``device_command``) or a
registry flag (``device_state``). Its ``spec`` is what the backend applies; ``satisfied`` and
``check`` say what verification measures.

``check`` is ``{"measure": NAME, "op": OP, "value": VALUE}`` with optional extra keys
(``tolerance_pct``), or ``{"all": [check, ...]}`` when every listed check must hold. Measures:

- ``class_rate_bps`` (``<=``): the measured rate of the device's HTB class in that direction.
- ``class_config``: (``==``) the kernel class as read back: ``{"rate_bps", "ceil_bps", "prio"}``.
- ``rtt_ms`` (``<=``): a latency probe to the device's address.
- ``netem`` (``==``): the netem leaf as read back: ``{"delay_ms", "jitter_ms", "loss_pct"}``.
- ``firewall_action`` (``==``): the nft action holding for the address (None: none holds).
- ``config_acked`` (``==``): the device acked ``update_config`` with these params.
- ``report_interval_s`` / ``sample_interval_ms`` (``~=`` with ``tolerance_pct``): the cadence
  observed in the device's telemetry.
- ``command_result`` (``==``): the device's ack result; ``ota_state`` and
  ``firmware_version`` (``==``): OTA progress and the version the device reports afterwards.
- ``device_enabled`` (``==``): the registry flag.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from core.intents.model import Intent


class TargetDevice(BaseModel, frozen=True):
    """A registered device a selector matched: its id (also its display name), type, address."""

    id: str
    type: str
    ip: str | None = None
    mac: str | None = None


class CompileInput(BaseModel):
    """One parsed intent with its resolved targets.

    ``intent_id`` is None for the intents of the sentence being planned; they are told apart
    by ``index``, their position in the sentence.
    """

    intent_id: int | None
    index: int = 0
    intent: Intent
    devices: list[TargetDevice]
    addresses: list[str] = []
    """Unregistered ip or cidr targets; only the network kinds act on them."""
    replaces: list[int] = []
    """Ids of active intents this one supersedes: no conflict with them is reported."""


class PolicyKind(StrEnum):
    SHAPE = "shape"
    IMPAIR = "impair"
    FIREWALL = "firewall"
    DEVICE_CONFIG = "device_config"
    DEVICE_COMMAND = "device_command"
    DEVICE_STATE = "device_state"


class Policy(BaseModel, frozen=True):
    """One thing to apply to one target.

    ``spec`` by kind:

    - ``shape``: ``direction`` ("down" = traffic to the device, "up" = from it, through IFB),
      ``rate_bps`` (HTB rate; None: no guarantee, the backend's minimum share), ``ceil_bps``
      (None: up to the link), ``prio`` (HTB, 0 best … 7), ``burst_bytes`` (None when there is
      no rate), ``leaf`` ("fq_codel"; the backend falls back to pfifo where it is missing).
      One policy per direction.
    - ``impair``: ``direction`` ("down"), ``delay_ms``, ``jitter_ms``, ``loss_pct`` (0 when not
      asked for).
    - ``firewall``: ``action`` ("block", "internet_block", "quarantine", "allow_only",
      "unblock") and ``destinations`` (``[{ip, port?, proto?}]``, only for allow_only).
    - ``device_config``: ``params`` for ``update_config`` (PROTOCOL.md).
    - ``device_command``: ``cmd`` (PROTOCOL.md name) and its ``params``.
    - ``device_state``: ``enabled``.
    """

    kind: PolicyKind
    intent_id: int | None
    index: int
    device_id: str | None
    """None for a bare address target."""
    address: str | None
    """The device's ip, or the bare address/cidr; None when the device has no known ip."""
    spec: dict[str, Any]
    satisfied: str
    check: dict[str, Any]
    summary: str


class Conflict(BaseModel):
    """Two intents that cannot both hold on one target; the caller refuses to apply."""

    device_id: str | None
    address: str | None
    intents: list[tuple[int | None, int]]
    """``(intent_id, index)`` of the two intents, the new one first."""
    message: str


class CompileResult(BaseModel):
    policies: list[Policy]
    """The policies of the new intents only, in a stable order."""
    conflicts: list[Conflict]
    warnings: list[str]
    """Something the operator should look at: a target without an address, an ignored target."""
    notes: list[str] = []
    """Plain information: replacements, revokes, what a command still lacks."""
