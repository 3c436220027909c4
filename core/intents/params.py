"""The parameters of each intent kind as typed models: what ``Intent.params`` holds.

``params_of_kind`` is the field validator that reads a stored dict as its kind's model, so the
JSON stays exactly as INTENTS.md writes it (the dump of each model is the dict it replaced):
``impair`` always lists its three values (null when not said), a destination of
``allow_only`` carries ``port`` and ``proto`` only when said, and the kinds said two ways
(``sampling`` by interval or by rate, ``revoke`` by number or by kind) are two models each.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationInfo,
    model_serializer,
)

Direction = Literal["both", "down", "up"]
Number = int | float


class _Params(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitParams(_Params):
    rate_bps: int
    direction: Direction = "both"


class GuaranteeParams(_Params):
    rate_bps: int


class PriorityParams(_Params):
    level: int


class LatencyParams(_Params):
    target_ms: Number | None = None


class ImpairParams(_Params):
    delay_ms: Number | None = None
    jitter_ms: Number | None = None
    loss_pct: float | None = None


class QosParams(_Params):
    level: int


class ReportParams(_Params):
    send_interval_s: int


class SamplingCadenceParams(_Params):
    sampling_cadence_ms: int


class SamplingRateParams(_Params):
    """A sampling rate, for devices that sample a signal (audio) rather than read a value."""

    sampling_rate_hz: int


class PowerParams(_Params):
    enabled: bool


class SettingParams(_Params):
    key: str
    value: bool | int | float | str


class ScaledSettingParams(_Params):
    """A setting changed relative to its current value ("double the gain"); the resolver
    turns it into a ``SettingParams`` from the value the device declares."""

    key: str
    factor: float


class CommandParams(_Params):
    command: Literal["reboot", "factory_reset", "request_status", "start_ota"]
    fw_version: str | None = None


class StateParams(_Params):
    enabled: bool


class BlockParams(_Params):
    scope: Literal["all", "internet", "quarantine"] = "all"


class Destination(_Params):
    ip: str
    port: int | None = None
    proto: Literal["tcp", "udp"] | None = None

    @model_serializer(mode="wrap")
    def _said(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class AllowParams(_Params):
    destinations: list[Destination]


class UnblockParams(_Params):
    pass


class RevokeIdParams(_Params):
    intent_id: int


class RevokeKindParams(_Params):
    kind: str
    """The intent kind whose live intents end."""


SamplingParams = SamplingCadenceParams | SamplingRateParams
RevokeParams = RevokeIdParams | RevokeKindParams
DeviceSettingParams = SettingParams | ScaledSettingParams
IntentParams = (
    LimitParams
    | GuaranteeParams
    | PriorityParams
    | LatencyParams
    | ImpairParams
    | QosParams
    | ReportParams
    | SamplingCadenceParams
    | SamplingRateParams
    | PowerParams
    | SettingParams
    | ScaledSettingParams
    | CommandParams
    | StateParams
    | BlockParams
    | AllowParams
    | UnblockParams
    | RevokeIdParams
    | RevokeKindParams
)
PARAMS_OF: dict[str, Any] = {
    "bandwidth_limit": LimitParams,
    "bandwidth_guarantee": GuaranteeParams,
    "priority": PriorityParams,
    "low_latency": LatencyParams,
    "impair": ImpairParams,
    "mqtt_qos": QosParams,
    "report_interval": ReportParams,
    "sampling": SamplingParams,
    "power_saving": PowerParams,
    "device_setting": DeviceSettingParams,
    "device_command": CommandParams,
    "device_state": StateParams,
    "block": BlockParams,
    "allow_only": AllowParams,
    "unblock": UnblockParams,
    "revoke": RevokeParams,
}
"""Intent kind → the type of its params."""
_MODELS_OF = {
    kind: tuple(getattr(model, "__args__", (model,))) for kind, model in PARAMS_OF.items()
}
_ADAPTERS = {kind: TypeAdapter(model) for kind, model in PARAMS_OF.items()}


_CHOSEN_BY = {
    "sampling": ("sampling_rate_hz", SamplingRateParams, SamplingCadenceParams),
    "revoke": ("intent_id", RevokeIdParams, RevokeKindParams),
    "device_setting": ("factor", ScaledSettingParams, SettingParams),
}


def built_params(kind: str, values: dict[str, Any]) -> IntentParams:
    """The params the parser's builders made (already checked, typed and complete), as
    their model without validating them again."""
    if kind == "allow_only":  # nested destinations: build them by validating
        return AllowParams.model_validate(values)
    model = PARAMS_OF[kind]
    if kind in _CHOSEN_BY:
        key, with_key, without = _CHOSEN_BY[kind]
        model = with_key if key in values else without
    result: IntentParams = model.model_construct(**values)
    return result


def read_params(kind: str, value: Any) -> IntentParams:
    """The params of an intent of ``kind`` from their JSON (or a model of that kind)."""
    model = PARAMS_OF[kind]
    if isinstance(model, type):  # one model: no union to try member by member
        result: IntentParams = model.model_validate(value)
        return result
    result = _ADAPTERS[kind].validate_python(value)
    return result


def params_of_kind(value: Any, info: ValidationInfo) -> Any:
    """Field validator (plain: it replaces the union's own, which would try every member)
    for ``params`` beside a ``kind``: read as that kind's model."""
    kind = info.data.get("kind")
    if kind is None:
        raise ValueError("params need a valid kind")
    if type(value) in _MODELS_OF[kind]:
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    return read_params(kind, value)
