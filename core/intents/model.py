"""The parse result of INTENTS.md as pydantic models.

``ParseResult.model_dump(mode="json")`` is exactly the public JSON: on success ``ok``,
``intents`` and ``warnings``; on failure ``ok`` and ``error``. The unused keys are left out of
the dump rather than written as null, so front ends can print the dump as it is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from core.errors import InvalidInput
from core.intents.params import IntentParams, params_of_kind

Kind = Literal[
    "bandwidth_limit",
    "bandwidth_guarantee",
    "priority",
    "low_latency",
    "impair",
    "mqtt_qos",
    "report_interval",
    "sampling",
    "power_saving",
    "device_setting",
    "device_command",
    "device_state",
    "block",
    "allow_only",
    "unblock",
    "revoke",
]
ErrorCode = Literal[
    "empty", "no_intent", "no_target", "bad_value", "out_of_range", "unknown_unit", "ambiguous"
]
Target = dict[str, Any]
"""One selector: ``{"device": ...}``, ``{"type": ..., "location": ...}``, ``{"all": True}``…"""


class Schedule(BaseModel):
    """Daily window; ``start`` is None for "until 18:00", both None for "on weekdays"."""

    model_config = ConfigDict(frozen=True)

    start: str | None = None
    end: str | None = None
    days: list[str]


class Intent(BaseModel):
    kind: Kind
    targets: list[Target]
    params: IntentParams
    """The kind's own parameters (``params.PARAMS_OF``); a dict is read as that kind's."""
    schedule: Schedule | None = None
    duration_s: int | None = None
    explanation: str

    @field_validator("params", mode="wrap")
    @classmethod
    def read_params_by_kind(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        return params_of_kind(value, info)


class ParseFailure(BaseModel):
    code: ErrorCode
    message: str
    suggestions: list[str] = []


class ParseResult(BaseModel):
    ok: bool
    intents: list[Intent] = []
    warnings: list[str] = []
    error: ParseFailure | None = None

    @model_serializer(mode="wrap")
    def _public(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        keep = ("ok", "intents", "warnings") if self.ok else ("ok", "error")
        return {key: data[key] for key in keep}


class IntentError(InvalidInput):
    """Why a sentence cannot be read; turned into ``ParseFailure`` by ``parse_intent``.

    ``at`` is the index of the token the problem was found at, used to prefer the error
    found furthest into the sentence when several readings fail.
    """

    title = "Intent not understood"

    def __init__(
        self, code: ErrorCode, msg: str, *, suggestions: list[str] | None = None, at: int = 0
    ) -> None:
        super().__init__(msg)
        self.code: ErrorCode = code
        self.suggestions = suggestions or []
        self.at = at
