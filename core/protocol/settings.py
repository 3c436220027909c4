"""Settings a device declares in its hello (docs/protocol.md, "Settings a device declares").

A device that accepts settings beyond PROTOCOL.md's own may list them in every hello as
``settings``: one object per setting with its ``key`` (what ``update_config`` sets), its
``type``, and how to name it in an intent. Warden stores the list on the device; the intent
resolver grounds sentences such as "capture every 3 s for doorcam-2" in it and refuses, naming
what the device does declare, a setting it does not. Checked by hand, like the rest of the
protocol: importing ``core.protocol`` loads no validation library.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from core.protocol.checks import wrong
from core.protocol.errors import ProtocolError, Reason

MAX_SETTINGS = 32
MAX_WORDS = 64
SETTING_TYPES = ("number", "integer", "enum", "boolean", "string")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True, slots=True)
class DeclaredSetting:
    key: str
    """What ``update_config`` sets: ``capture_interval_s``."""
    type: str
    """One of ``SETTING_TYPES``."""
    unit: str | None = None
    """The unit of a number: ``s``, ``ms``, ``Hz``, ``dB``, ``Cel``, ``%``."""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    """The values an ``enum`` takes, as sent."""
    words: dict[str, str] = field(default_factory=dict)
    """Other words for a choice, lower case: ``{"full hd": "1920x1080"}``."""
    names: tuple[str, ...] = ()
    """Nouns that name it, lower case: "capture interval", "resolution"."""
    verbs: tuple[str, ...] = ()
    """Verbs that name an interval setting with "every": "capture" in "capture every 3 s"."""
    measures: tuple[str, ...] = ()
    """What the verb acts on: "co2" in "read co2 every 30 seconds"."""
    value: bool | int | float | str | None = None
    """The value the device runs with now, when it says (for "double the gain")."""

    @property
    def label(self) -> str:
        """How a person names it: its first name, else its key."""
        return self.names[0] if self.names else self.key.replace("_", " ")

    def takes(self) -> str:
        """What it accepts, for a person: "1-3600 s", "640x480, 1280x720 (also vga, hd)"."""
        if self.type == "boolean":
            return "on or off"
        if self.type == "enum":
            also = f" (also {', '.join(self.words)})" if self.words else ""
            return ", ".join(self.choices) + also
        if self.type == "string":
            return "text"
        low = "" if self.min is None else f"{self.min:g}"
        high = "" if self.max is None else f"{self.max:g}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{low}-{high}{unit}" if low or high else f"a number{unit}"

    def as_json(self) -> dict[str, Any]:
        """The declaration as sent, without what was left out."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            if value in (None, (), {}) and name not in ("key", "type"):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


def read_settings(value: Any) -> tuple[DeclaredSetting, ...]:
    """The ``settings`` of a hello, or ``ProtocolError`` naming the bad entry."""
    if not isinstance(value, list) or len(value) > MAX_SETTINGS:
        raise wrong("settings", f"a list of at most {MAX_SETTINGS} objects", value)
    return tuple(read_setting(item, f"settings[{i}]") for i, item in enumerate(value))


def read_setting(item: Any, where: str = "setting") -> DeclaredSetting:
    """One declaration (as a hello sends it, or as stored on the device)."""
    if not isinstance(item, dict):
        raise wrong(where, "an object", item)
    key = item.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise wrong(f"{where}.key", "1-64 of a-z 0-9 _, starting with a letter", key)
    kind = item.get("type")
    if kind not in SETTING_TYPES:
        raise wrong(f"{where}.type", f"one of {', '.join(SETTING_TYPES)}", kind)
    unit = item.get("unit")
    if unit is not None and (not isinstance(unit, str) or len(unit) > 16):
        raise wrong(f"{where}.unit", "a string of at most 16 characters", unit)
    words = item.get("words") or {}
    if not isinstance(words, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in words.items()
    ):
        raise wrong(f"{where}.words", "an object of words to choices", words)
    value = item.get("value")
    if value is not None and not isinstance(value, bool | int | float | str):
        raise wrong(f"{where}.value", "a number, a string or a boolean", value)
    return DeclaredSetting(
        key=key,
        type=kind,
        unit=unit,
        min=_bound(item, "min", where),
        max=_bound(item, "max", where),
        choices=tuple(str(c) for c in _texts(item, "choices", where)),
        words={_lower(k): v for k, v in list(words.items())[:MAX_WORDS]},
        names=tuple(_lower(w) for w in _texts(item, "names", where)),
        verbs=tuple(_lower(w) for w in _texts(item, "verbs", where)),
        measures=tuple(_lower(w) for w in _texts(item, "measures", where)),
        value=value,
    )


def _bound(item: dict[str, Any], name: str, where: str) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise wrong(f"{where}.{name}", "a finite number", value)
    return float(value)


def _texts(item: dict[str, Any], name: str, where: str) -> list[str]:
    value = item.get(name) or []
    if (
        not isinstance(value, list)
        or len(value) > MAX_WORDS
        or not all(isinstance(w, str) and w.strip() for w in value)
    ):
        raise ProtocolError(
            Reason.WRONG_TYPE, f"{where}.{name} must be a list of at most {MAX_WORDS} words"
        )
    return value


def _lower(words: str) -> str:
    return " ".join(words.lower().split())
