"""Filling a playbook's placeholders from a finding, strictly.

A value is used only if it fully matches what its name promises (``core.playbooks.values``);
anything else is refused before any step is returned, so a crafted log line (``wlan0;
reboot``, ``-oProxyCommand=x``, ``$(reboot)``) never reaches a program's arguments, a device
command or an intent. A diagnostic step is rendered with its filled parameters and the
argument vector its template builds from them (``core.playbooks.diagnostics``), so what an
operator approves is exactly what runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import InvalidInput
from core.playbooks.diagnostics import template_named
from core.playbooks.models import Playbook, fill, template_names
from core.playbooks.values import PlaceholderRefused, validate_value

DEFAULT_BODY: dict[str, str] = {
    "finding": "{finding}",
    "rule": "{rule}",
    "severity": "{severity}",
    "device": "{device}",
    "summary": "{summary}",
}
"""A webhook's body when the playbook gives none; a value that is missing or refused is
``null`` here instead of an error (the default body is best-effort)."""

__all__ = [
    "DEFAULT_BODY",
    "PlaceholderMissing",
    "PlaceholderRefused",
    "placeholders_of",
    "render_steps",
    "validate_value",
]


class PlaceholderMissing(InvalidInput):
    title = "Placeholder missing"


def placeholders_of(playbook: Playbook) -> set[str]:
    """Every placeholder the playbook's steps name (not those of a default webhook body)."""
    return {
        name
        for step in playbook.steps
        for _, template in step.templates()
        for name in template_names(template)
    }


def render_steps(playbook: Playbook, values: Mapping[str, object | None]) -> list[dict[str, Any]]:
    """The playbook's steps as plain dicts with placeholders filled from ``values``.
    Every placeholder a step names is checked first: ``PlaceholderMissing`` when it has no
    value, ``PlaceholderRefused`` when its value is not what the name promises; on either,
    nothing is returned."""
    filled: dict[str, str | None] = {}
    for name in sorted(placeholders_of(playbook)):
        value = values.get(name)
        if value is None:
            raise PlaceholderMissing(f"{{{name}}} has no value for this finding")
        filled[name] = validate_value(name, value)
    best_effort = {**filled}
    for name in template_names("".join(DEFAULT_BODY.values())):
        if name not in best_effort:
            best_effort[name] = _or_none(name, values.get(name))

    rendered: list[dict[str, Any]] = []
    for step in playbook.steps:
        data = step.model_dump(mode="json")
        match data["kind"]:
            case "command":
                data["params"] = _fill_all(data["params"], filled)
            case "diagnostic":
                data["params"] = _fill_all(data["params"], filled)
                data["argv"] = template_named(data["template"]).argv(data["params"])
            case "intent":
                data["text"] = fill(data["text"], filled)
            case "webhook":
                if data["body"] is None:
                    data["body"] = _fill_all(DEFAULT_BODY, best_effort)
                else:
                    data["body"] = _fill_all(data["body"], filled)
        rendered.append(data)
    return rendered


def _or_none(name: str, value: object | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_value(name, value)
    except PlaceholderRefused:
        return None


def _fill_all(value: Any, filled: dict[str, str | None]) -> Any:
    if isinstance(value, str):
        return fill(value, filled)
    if isinstance(value, dict):
        return {key: _fill_all(item, filled) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_all(item, filled) for item in value]
    return value
