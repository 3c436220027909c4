"""Words the compiler and the conflict check share: directions, values, destinations."""

from __future__ import annotations

from typing import Any

DIRECTION_WORD = {"down": "download", "up": "upload"}


def destination_text(dest: dict[str, Any]) -> str:
    text = str(dest.get("ip") or dest.get("cidr") or "any address")
    if dest.get("port") is not None:
        text += f" port {dest['port']}"
    if dest.get("proto"):
        text += f" ({dest['proto']})"
    return text


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
