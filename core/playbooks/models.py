"""What a playbook is: when it applies (``on`` rule ids, a severity floor, a device type)
and what it does (up to ten steps, one model per ``kind``). Pure: no database, no I/O.

Step strings may hold ``{name}`` placeholders filled from the finding when the playbook
runs (``core.playbooks.render``). Only the names in ``PLACEHOLDERS`` exist, only plain
``{name}`` is allowed (no ``{{``, no ``{x.attr}``, no format specs), and ``{summary}`` (free
text) is allowed only in a webhook body. Every template is checked when the playbook loads.

What is templated: a command's string params (nested ones too), a diagnostic's parameters
(each a literal or exactly one placeholder of a fitting kind), an intent's text and a
webhook's body strings. A command name, a diagnostic's template (so its program and every
argument but the typed parameters) and a webhook's URL are fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.playbooks.diagnostics import EXAMPLE, TEMPLATES, DiagnosticRefused, template_named
from core.playbooks.values import FREE_TEXT
from core.rules.models import SLUG, Severity, device_type_matches

COMMANDS: tuple[str, ...] = ("update_config", "start_ota", "reboot", "request_status")
"""Device commands a playbook may queue: ``core.protocol.commands.COMMANDS`` without
``factory_reset``, which wipes a device and is never a response to a finding."""
_NO_PARAMS = frozenset({"reboot", "request_status"})

PLACEHOLDERS: frozenset[str] = frozenset(
    {"device", "ip", "mac", "interface", "host", "rule", "severity", "finding", "summary"}
)
"""Placeholder names a step may use; ``render.validate_value`` says what each accepts."""

SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)
"""Lowest first: info < low < medium < high < critical."""

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ON_ENTRY = re.compile(SLUG.removesuffix("$") + r"(?:\.\*)?$")


class Mode(StrEnum):
    SUGGEST = "suggest"
    AUTO = "auto"


def template_names(template: str) -> list[str]:
    """The ``{name}`` placeholders of a template, in order; ``ValueError`` for a brace that
    is not part of a plain ``{name}`` (``{{``, ``{x:>5}``, ``{x.y}``, a lone ``}``)."""
    rest = _TOKEN.sub("", template)
    if "{" in rest or "}" in rest:
        raise ValueError(f"{template!r}: only plain {{name}} placeholders are allowed")
    return _TOKEN.findall(template)


def fill(template: str, values: dict[str, str | None]) -> str | None:
    """``template`` with each ``{name}`` replaced by its value; ``None`` when the template is
    exactly one placeholder whose value is ``None``. Values must be validated already."""
    match = _TOKEN.fullmatch(template)
    if match is not None:
        return values.get(match.group(1))
    return _TOKEN.sub(lambda m: values.get(m.group(1)) or "", template)


def strings_in(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """``(where, string)`` for every string inside nested dicts and lists (values only)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, f"{where}[{index}]")


class _StepBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommandStep(_StepBase):
    """Queue a device command for the finding's device (``cmd`` as in PROTOCOL.md)."""

    kind: Literal["command"] = "command"
    cmd: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_command(self) -> CommandStep:
        if self.cmd not in COMMANDS:
            raise ValueError(f"cmd: unknown command {self.cmd!r}; one of {', '.join(COMMANDS)}")
        if self.cmd in _NO_PARAMS and self.params:
            raise ValueError(f"params: {self.cmd} takes no parameters")
        if self.cmd == "update_config" and not self.params:
            raise ValueError("params: update_config needs at least one setting")
        return self

    def templates(self) -> Iterator[tuple[str, str]]:
        yield from strings_in(self.params, "params")


class WebhookStep(_StepBase):
    """POST a JSON body to a fixed URL; ``body=None`` sends the default body (finding,
    rule, severity, device, summary)."""

    kind: Literal["webhook"] = "webhook"
    url: str
    body: dict[str, Any] | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if any(c.isspace() for c in value) or "{" in value or "}" in value:
            raise ValueError("url must be a fixed URL: no spaces, no placeholders")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an http:// or https:// URL, got {value!r}")
        return value

    def templates(self) -> Iterator[tuple[str, str]]:
        yield from strings_in(self.body, "body")


class DiagnosticStep(_StepBase):
    """Run one diagnostic template (``core.playbooks.diagnostics``) without a shell; its
    output is kept with the action. ``params`` are literals or exactly one placeholder
    each, checked against the template's parameter types here and again, filled in, when
    the action is proposed and when it runs."""

    kind: Literal["diagnostic"] = "diagnostic"
    template: str
    params: dict[str, int | str] = Field(default_factory=dict)
    timeout_s: Annotated[int, Field(ge=1, le=120)] = 10

    @model_validator(mode="before")
    @classmethod
    def _no_argument_vector(cls, data: Any) -> Any:
        if isinstance(data, dict) and "argv" in data:
            raise ValueError(
                "argv is not accepted: a diagnostic names a fixed template and its "
                f"parameters, e.g. {{{EXAMPLE}}}; templates: {', '.join(sorted(TEMPLATES))}"
            )
        return data

    @model_validator(mode="after")
    def _fits_its_template(self) -> DiagnosticStep:
        try:
            found = template_named(self.template)
        except DiagnosticRefused as exc:
            raise ValueError(exc.msg) from None
        found.check_definition(self.params, PLACEHOLDERS)
        return self

    def templates(self) -> Iterator[tuple[str, str]]:
        for name, value in self.params.items():
            if isinstance(value, str):
                yield f"params.{name}", value


class IntentStep(_StepBase):
    """Propose (``suggest``) or submit (``auto``) a policy intent, e.g. ``quarantine {mac}``."""

    kind: Literal["intent"] = "intent"
    text: Annotated[str, Field(min_length=1, max_length=500)]

    def templates(self) -> Iterator[tuple[str, str]]:
        yield "text", self.text


Step = Annotated[
    CommandStep | WebhookStep | DiagnosticStep | IntentStep, Field(discriminator="kind")
]


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=SLUG, max_length=80)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    pack: str = ""
    description: str = ""
    enabled: bool = True
    mode: Mode = Mode.SUGGEST
    on: Annotated[list[str], Field(min_length=1)]
    min_severity: Severity | None = None
    device_type: str | None = None
    steps: Annotated[list[Step], Field(min_length=1, max_length=10)]

    @field_validator("on")
    @classmethod
    def _rule_ids_or_prefixes(cls, value: list[str]) -> list[str]:
        for entry in value:
            if len(entry) > 80 or not _ON_ENTRY.match(entry):
                raise ValueError(
                    f"{entry!r} is neither a rule id nor a prefix pattern such as 'wifi.*'"
                )
        return value

    @model_validator(mode="after")
    def _known_placeholders(self) -> Playbook:
        for index, step in enumerate(self.steps):
            for where, template in step.templates():
                label = f"steps[{index}] ({step.kind}) {where}"
                try:
                    names = template_names(template)
                except ValueError as exc:
                    raise ValueError(f"{label}: {exc}") from None
                for name in names:
                    if name not in PLACEHOLDERS:
                        raise ValueError(
                            f"{label}: unknown placeholder {{{name}}}; "
                            f"one of {', '.join(sorted(PLACEHOLDERS))}"
                        )
                    if name in FREE_TEXT and step.kind != "webhook":
                        raise ValueError(
                            f"{label}: {{{name}}} is free text, allowed only in a webhook body"
                        )
        return self

    def matches(self, *, rule_id: str, severity: str, device_type: str | None) -> bool:
        """Whether a finding of ``rule_id`` at ``severity`` on a device of ``device_type``
        triggers this playbook. ``wifi.*`` selects ``wifi.deauth-flood``, not ``wifix``;
        an unknown severity never passes a severity floor."""
        if not self.enabled:
            return False
        if not any(_on_matches(entry, rule_id) for entry in self.on):
            return False
        if self.min_severity is not None:
            try:
                rank = SEVERITY_ORDER.index(Severity(severity))
            except ValueError:
                return False
            if rank < SEVERITY_ORDER.index(self.min_severity):
                return False
        return device_type_matches(self.device_type, device_type)


def _on_matches(entry: str, rule_id: str) -> bool:
    if entry.endswith(".*"):
        return rule_id.startswith(entry[:-1])
    return rule_id == entry
