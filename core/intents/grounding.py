"""Grounding device settings in what each device declares (docs/protocol.md). Pure.

The parser reads "capture every 3 s for doorcam-2" as the setting ``capture_interval_s`` = 3
without knowing any device; here the resolved devices' declarations decide which key it is
(by the key, the setting's names, or its verbs and what they measure), convert the value to
the declared unit and choices, check the range, and turn "double the gain" into a value
from the current one. A device that declares settings but none that the sentence names is
refused, with the list of what it does declare. A device that declares nothing is left as
the parser read it (older devices take any ``update_config`` key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from core.intents.explain import explain
from core.intents.model import Intent
from core.intents.params import (
    SamplingRateParams,
    ScaledSettingParams,
    SettingParams,
)
from core.intents.policy_builders import SAMPLE_RATE_KEY
from core.intents.units import format_number
from core.protocol.settings import DeclaredSetting

Declared = Sequence[tuple[str, Sequence[DeclaredSetting]]]
"""Each target device's id and the settings it declares."""
_UNIT_SUFFIXES = ("_s", "_ms", "_hz", "_db", "_c", "_pct", "_enabled")
_FROM_SECONDS = {"s": 1, "ms": 1000, "min": 1 / 60}


class Grounded(NamedTuple):
    intent: Intent
    refusals: list[str]


class _Refused(Exception):
    pass


def ground(intent: Intent, declared: Declared) -> Grounded:
    """``intent`` with its setting named and valued as the devices declare it, or why not."""
    params = intent.params
    if not isinstance(params, SettingParams | ScaledSettingParams | SamplingRateParams):
        return Grounded(intent, [])
    results: dict[str, tuple[str, Any]] = {}
    refusals: list[str] = []
    for device_id, settings in declared:
        try:
            results[device_id] = _one(params, device_id, settings)
        except _Refused as why:
            refusals.append(str(why))
    if refusals:
        return Grounded(intent, refusals)
    chosen = set(results.values())
    if len(chosen) > 1:
        shown = ", ".join(f"{d} {k}={v}" for d, (k, v) in sorted(results.items()))
        return Grounded(
            intent, [f"the devices declare this setting differently ({shown}); name them apart"]
        )
    if not chosen:
        return Grounded(intent, [])
    ((key, value),) = chosen
    new: SamplingRateParams | SettingParams
    if isinstance(params, SamplingRateParams) and key == SAMPLE_RATE_KEY:
        kind, new = "sampling", SamplingRateParams(sampling_rate_hz=int(value))
    else:
        kind, new = "device_setting", SettingParams(key=key, value=value)
    schedule = intent.schedule.model_dump() if intent.schedule else None
    text = explain(kind, intent.targets, new, schedule, intent.duration_s)
    grounded = intent.model_copy(update={"kind": kind, "params": new, "explanation": text})
    return Grounded(grounded, [])


def _one(
    params: SettingParams | ScaledSettingParams | SamplingRateParams,
    device_id: str,
    settings: Sequence[DeclaredSetting],
) -> tuple[str, Any]:
    if isinstance(params, SamplingRateParams):
        said, value = "sample rate", params.sampling_rate_hz
        if not settings:
            return SAMPLE_RATE_KEY, value
        setting = _rate_setting(settings)
    else:
        said = params.key
        if not settings:
            if isinstance(params, ScaledSettingParams):
                raise _Refused(
                    f"{device_id} declares no settings, so the current {_words(said)} is not "
                    "known; set a value instead"
                )
            return params.key, params.value
        setting = _find(said, settings)
    if setting is None:
        raise _Refused(
            f"{device_id} declares no setting '{_words(said)}'; it declares {_listed(settings)}"
        )
    if isinstance(params, ScaledSettingParams):
        current = setting.value
        if not isinstance(current, int | float) or isinstance(current, bool):
            raise _Refused(
                f"{device_id} does not say its current {setting.label}, so it cannot be "
                f"scaled; set a value ({setting.takes()})"
            )
        value = current * params.factor
    elif isinstance(params, SettingParams):
        value = params.value
        if said.endswith("_interval_s") and isinstance(value, int | float):
            value = value * _FROM_SECONDS.get((setting.unit or "s").lower(), 1)
    return setting.key, _checked(setting, value, device_id)


def _checked(setting: DeclaredSetting, value: Any, device_id: str) -> Any:
    what = f"{device_id} takes {setting.label} as {setting.takes()}"
    if setting.type == "boolean":
        if not isinstance(value, bool):
            raise _Refused(f"{what}, not {value}")
        return value
    if setting.type == "enum":
        word = " ".join(str(value).lower().split())
        choices = {choice.lower(): choice for choice in setting.choices}
        if word in setting.words:
            return setting.words[word]
        if word in choices:
            return choices[word]
        raise _Refused(f"{what}, not {value}")
    if setting.type == "string":
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(f"{what}, not {value}")
    if setting.type == "integer":
        if abs(value - round(value)) > 1e-9:
            raise _Refused(f"{what} (whole numbers), not {format_number(value)}")
        value = round(value)
    low = setting.min if setting.min is not None else value
    high = setting.max if setting.max is not None else value
    if not low <= value <= high:
        raise _Refused(f"{what}; {format_number(value)} is out of range")
    return int(value) if float(value).is_integer() else value


def _find(said: str, settings: Sequence[DeclaredSetting]) -> DeclaredSetting | None:
    base = _without_unit(said)
    for setting in settings:
        if said in _forms(setting) or base in _forms(setting):
            return setting
    return None


def _forms(setting: DeclaredSetting) -> set[str]:
    """Every key the parser may have read for ``setting``."""
    forms = {setting.key, _without_unit(setting.key)}
    forms |= {_snake(name) for name in setting.names}
    for verb in setting.verbs:
        forms.add(f"{_snake(verb)}_interval")
        forms |= {f"{_snake(verb)}_{_snake(m)}_interval" for m in setting.measures}
    return forms


def _rate_setting(settings: Sequence[DeclaredSetting]) -> DeclaredSetting | None:
    rates = [s for s in settings if (s.unit or "").lower() == "hz"]
    named = [s for s in rates if any("sampl" in n for n in s.names) or "sample" in s.key]
    return (named or rates or [None])[0]


def _listed(settings: Sequence[DeclaredSetting]) -> str:
    return "; ".join(f"{s.label} ({s.key}: {s.takes()})" for s in settings)


def _snake(words: str) -> str:
    return "_".join(words.lower().split())


def _without_unit(key: str) -> str:
    for suffix in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def _words(key: str) -> str:
    return key.removesuffix("_interval_s").replace("_", " ")
