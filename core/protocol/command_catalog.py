"""The device commands as an operator sends them: what each does, its parameters, and how
typed ``KEY=VALUE`` text becomes its params. ``warden command send``, the terminal
console's command dialog and the web console's command form all offer this one list and
read parameters this one way; ``validate_command`` stays the judge of what a device may
be sent (the command service checks again when it queues).

A value is read by its parameter's kind: a ``text`` parameter (a version, a URL, a digest)
is taken as typed; any other value is JSON when it parses (``15``, ``true``, ``"text"``,
``[...]``) and otherwise a bare word (``eco``, ``gw.lan:1883``). Text that starts like
JSON but does not parse is refused rather than sent as a string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from core.errors import InvalidInput
from core.protocol.commands import CONFIG_RANGES, MAX_BROKERS, OTA_PARAMS, validate_command
from core.protocol.errors import ProtocolError

ParamKind = Literal["whole", "text", "brokers"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_PAIRS = re.compile(r"\s+|,\s*(?=[A-Za-z_][A-Za-z0-9_.-]*=)")
"""Pairs are apart where there is white space, or a comma before the next ``KEY=``
(``send_interval_s=60, mode=eco``); a comma inside a value stays (``brokers=a,b:1884``)."""


@dataclass(frozen=True, slots=True)
class CommandParam:
    name: str
    kind: ParamKind
    description: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    """The protocol's name (``update_config``)."""
    label: str
    """For a menu (``update config``)."""
    description: str
    params: tuple[CommandParam, ...] = ()
    example: str = "no parameters"
    """What to type after it, as a hint."""
    other_params: bool = False
    """Whether keys beyond ``params`` are allowed (device-specific settings, passed on)."""
    confirm: str | None = None
    """When set, the consoles ask this before sending (the command cannot be undone)."""

    def param(self, name: str) -> CommandParam | None:
        return next((p for p in self.params if p.name == name), None)

    def read_params(self, typed: Mapping[str, str]) -> dict[str, Any]:
        """The params of this command from text typed per parameter (a form's fields or
        ``KEY=VALUE`` pairs), validated against the protocol and normalised; empty fields
        are left out. ``InvalidInput`` says what is wrong, before anything is queued."""
        params: dict[str, Any] = {}
        for key, raw in typed.items():
            key, text = key.strip(), raw.strip()
            if not text:
                continue
            if not _KEY.fullmatch(key):
                raise InvalidInput(
                    f"{key!r} is not a parameter name" if key else f"{text!r} needs a name"
                )
            param = self.param(key)
            params[key] = text if param is not None and param.kind == "text" else _value(key, text)
        try:
            return validate_command(self.name, params)
        except ProtocolError as exc:
            raise InvalidInput(f"{self.name}: {exc.detail}") from exc


_CONFIG_PARAMS = (
    CommandParam(
        "sampling_cadence_ms",
        "whole",
        "how often the device samples, "
        f"{CONFIG_RANGES['sampling_cadence_ms'][0]}-{CONFIG_RANGES['sampling_cadence_ms'][1]} ms",
    ),
    CommandParam(
        "send_interval_s",
        "whole",
        "how often it sends telemetry, "
        f"{CONFIG_RANGES['send_interval_s'][0]}-{CONFIG_RANGES['send_interval_s'][1]} s",
    ),
    CommandParam(
        "hello_interval_s",
        "whole",
        "how often it says hello, "
        f"{CONFIG_RANGES['hello_interval_s'][0]}-{CONFIG_RANGES['hello_interval_s'][1]} s",
    ),
    CommandParam(
        "brokers",
        "brokers",
        f"the MQTT brokers it uses: 1-{MAX_BROKERS} host:port, comma-separated",
    ),
)
_OTA_DESCRIPTIONS = {
    "fw_version": "the version it will report afterwards",
    "fw_url": "where it downloads the image (http:// or https://)",
    "fw_sha256": "the image's SHA-256, 64 hex digits",
    "fw_size_bytes": "the image's size in bytes",
}

CATALOG: tuple[CommandSpec, ...] = (
    CommandSpec("request_status", "request status", "ask the device for a status message now"),
    CommandSpec("reboot", "reboot", "restart the device"),
    CommandSpec(
        "update_config",
        "update config",
        "change the device's settings (at least one)",
        params=_CONFIG_PARAMS,
        example="send_interval_s=60 …",
        other_params=True,
    ),
    CommandSpec(
        "start_ota",
        "OTA update",
        "download and install a firmware image",
        params=tuple(
            CommandParam(
                name, "whole" if name == "fw_size_bytes" else "text", _OTA_DESCRIPTIONS[name], True
            )
            for name in OTA_PARAMS
        ),
        example="fw_version=2.4.0 fw_url=https://… fw_sha256=… fw_size_bytes=…",
    ),
    CommandSpec(
        "factory_reset",
        "factory reset",
        "wipe the device's settings and data",
        confirm="This wipes the device's settings and data; it cannot be undone.",
    ),
)
COMMAND_NAMES: tuple[str, ...] = tuple(spec.name for spec in CATALOG)


def command_spec(name: str) -> CommandSpec:
    for spec in CATALOG:
        if spec.name == name:
            return spec
    raise InvalidInput(f"unknown command {name!r}; one of {', '.join(COMMAND_NAMES)}")


def read_assignments(pairs: str | Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs as text per key: one line as typed (``send_interval_s=60,
    mode=eco``) or pairs already apart (``--param`` options). Values stay text; the
    command's ``read_params`` reads them by kind."""
    if isinstance(pairs, str):
        pairs = [p for p in _PAIRS.split(pairs.strip()) if p]
    typed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _KEY.fullmatch(key.strip()):
            raise InvalidInput(f"{pair!r} is not KEY=VALUE")
        typed[key.strip()] = value
    return typed


def command_params(name: str, pairs: str | Iterable[str]) -> dict[str, Any]:
    """The validated params of command ``name`` from ``KEY=VALUE`` text."""
    return command_spec(name).read_params(read_assignments(pairs))


def _value(key: str, text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_bare)
    except json.JSONDecodeError as bad:
        if text[0] in '{["':
            raise InvalidInput(
                f'the value of {key} is not JSON ({bad.msg}); write 15, true or "text"'
            ) from bad
        return text


def _bare(word: str) -> str:
    """``NaN`` and ``Infinity`` are words here, not numbers."""
    return word
