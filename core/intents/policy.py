"""What the compiler takes and gives: resolved intents in, policies, conflicts and notes out.

A ``Policy`` is one thing a backend applies to one target (a registered device or a bare
address): a tc class (``shape``), a netem leaf (``impair``), an nftables rule (``firewall``), an
``update_config`` command (``device_config``), another device command (``device_command``) or a
registry flag (``device_state``). Its ``spec`` is what the backend applies, one model per kind
(``PolicySpec``, a union discriminated by ``kind``); ``satisfied`` and ``check`` say what
verification measures.

A spec's JSON does not carry its kind: the policy's ``kind`` does (it is stored beside the
spec, and the public JSON of a plan has it once, on the policy). ``parse_spec`` reads a spec
back from its JSON and kind; ``Policy`` and ``PolicyPublic`` do the same when given a dict.

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
from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, Field, TypeAdapter, ValidationInfo, field_validator
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

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

    @property
    def network(self) -> bool:
        """Enforced in the kernel (tc, nftables), not on the device."""
        return self in (PolicyKind.SHAPE, PolicyKind.IMPAIR, PolicyKind.FIREWALL)


def _kind(value: str) -> Any:
    """The discriminator field of a spec: validated from the policy's kind, left out of the
    spec's JSON (see the module docstring)."""
    return Field(default=value, exclude=True)


class ShapeSpec(BaseModel, frozen=True):
    """One HTB class. ``direction``: "down" = traffic to the device, "up" = from it (through
    IFB); one policy per direction."""

    kind: Literal["shape"] = _kind("shape")
    direction: Literal["down", "up"]
    rate_bps: int | None
    """HTB rate; None: no guarantee, the backend's minimum share."""
    ceil_bps: int | None
    """None: up to the link."""
    prio: int
    """HTB prio, 0 best … 7."""
    burst_bytes: int | None
    """None when there is no rate."""
    leaf: str
    """``fq_codel``; the backend falls back to pfifo where it is missing."""


class ImpairSpec(BaseModel, frozen=True):
    """A netem leaf on the device's download class (0 for what was not asked for)."""

    kind: Literal["impair"] = _kind("impair")
    direction: Literal["down"] = "down"
    delay_ms: int | float
    jitter_ms: int | float
    loss_pct: float


FirewallAction = Literal["block", "internet_block", "quarantine", "allow_only", "unblock"]


class Destination(TypedDict):
    """An allowed destination of ``allow_only``; ``port`` and ``proto`` only when said."""

    ip: str
    port: NotRequired[int]
    proto: NotRequired[str]


class FirewallSpec(BaseModel, frozen=True):
    kind: Literal["firewall"] = _kind("firewall")
    action: FirewallAction
    destinations: list[Destination] = []
    """Only for ``allow_only``."""


SettingValue = bool | int | float | str
"""A device setting's value, as ``update_config`` carries it (PROTOCOL.md)."""


class DeviceConfigSpec(BaseModel, frozen=True):
    kind: Literal["device_config"] = _kind("device_config")
    params: dict[str, SettingValue]
    """The params of ``update_config``."""


class DeviceCommandSpec(BaseModel, frozen=True):
    kind: Literal["device_command"] = _kind("device_command")
    cmd: str
    """The command's PROTOCOL.md name."""
    params: dict[str, SettingValue | None] = {}


class DeviceStateSpec(BaseModel, frozen=True):
    """The registry's enabled flag; nothing is sent."""

    kind: Literal["device_state"] = _kind("device_state")
    enabled: bool


PolicySpec = Annotated[
    ShapeSpec | ImpairSpec | FirewallSpec | DeviceConfigSpec | DeviceCommandSpec | DeviceStateSpec,
    Field(discriminator="kind"),
]
DeviceSpec = DeviceConfigSpec | DeviceCommandSpec | DeviceStateSpec
_SPEC: TypeAdapter[PolicySpec] = TypeAdapter(PolicySpec)


def parse_spec(kind: str, data: Any) -> PolicySpec:
    """A policy's spec from its stored JSON and its kind (a spec model is returned as is)."""
    if isinstance(data, dict):
        data = {**data, "kind": kind}
    return _SPEC.validate_python(data)


def spec_of_kind(value: Any, info: ValidationInfo) -> Any:
    """Field validator for a ``spec`` beside a ``kind``: a dict is read as that kind's spec;
    a spec model must be of that kind."""
    kind = info.data.get("kind")
    if kind is None:
        return value
    if isinstance(value, dict):
        return {**value, "kind": kind}
    if getattr(value, "kind", kind) != kind:
        raise ValueError(f"a {value.kind} spec cannot be the spec of a {kind} policy")
    return value


class Policy(BaseModel, frozen=True):
    """One thing to apply to one target."""

    kind: PolicyKind
    intent_id: int | None
    index: int
    device_id: str | None
    """None for a bare address target."""
    address: str | None
    """The device's ip, or the bare address/cidr; None when the device has no known ip."""
    spec: PolicySpec
    satisfied: str
    check: dict[str, Any]
    summary: str

    @field_validator("spec", mode="before")
    @classmethod
    def read_spec_by_kind(cls, value: Any, info: ValidationInfo) -> Any:
        return spec_of_kind(value, info)


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
