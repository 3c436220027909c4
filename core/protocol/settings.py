"""Settings a device declares in its hello (docs/protocol.md, "Settings a device declares").

A device that accepts settings beyond PROTOCOL.md's own may list them in every hello as
``settings``: one object per setting with its ``key`` (what ``update_config`` sets), its
``type``, and how to name it in an intent. Warden stores the list on the device; the intent
resolver grounds sentences such as "capture every 3 s for doorcam-2" in it and refuses, naming
what the device does declare, a setting it does not.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.protocol.checks import wrong
from core.protocol.errors import ProtocolError, Reason

MAX_SETTINGS = 32
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")

SettingType = Literal["number", "integer", "enum", "boolean", "string"]


class DeclaredSetting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str
    """What ``update_config`` sets: ``capture_interval_s``."""
    type: SettingType
    unit: str | None = Field(default=None, max_length=16)
    """The unit of a number: ``s``, ``ms``, ``Hz``, ``dB``, ``Cel``, ``%``."""
    min: float | None = None
    max: float | None = None
    choices: list[str] = Field(default_factory=list, max_length=64)
    """The values an ``enum`` takes, as sent."""
    words: dict[str, str] = Field(default_factory=dict, max_length=64)
    """Other words for a choice: ``{"full hd": "1920x1080"}``."""
    names: list[str] = Field(default_factory=list, max_length=16)
    """Nouns that name it: "capture interval", "resolution"."""
    verbs: list[str] = Field(default_factory=list, max_length=16)
    """Verbs that name an interval setting with "every": "capture" in "capture every 3 s"."""
    measures: list[str] = Field(default_factory=list, max_length=16)
    """What the verb acts on: "co2" in "read co2 every 30 seconds"."""
    value: bool | int | float | str | None = None
    """The value the device runs with now, when it says (for "double the gain")."""

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.fullmatch(value):
            raise ValueError("a key is 1-64 of a-z 0-9 _, starting with a letter")
        return value

    @field_validator("names", "verbs", "measures", "choices")
    @classmethod
    def _lower_words(cls, value: list[str]) -> list[str]:
        return [" ".join(word.lower().split()) for word in value if word.strip()]

    @field_validator("words")
    @classmethod
    def _lower_aliases(cls, value: dict[str, str]) -> dict[str, str]:
        return {" ".join(word.lower().split()): choice for word, choice in value.items()}

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


def read_settings(value: Any) -> tuple[DeclaredSetting, ...]:
    """The ``settings`` of a hello, or ``ProtocolError`` naming the bad entry."""
    if not isinstance(value, list) or len(value) > MAX_SETTINGS:
        raise wrong("settings", f"a list of at most {MAX_SETTINGS} objects", value)
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise wrong(f"settings[{index}]", "an object", item)
        try:
            out.append(DeclaredSetting.model_validate(item))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ProtocolError(
                Reason.WRONG_TYPE, f"settings[{index}].{where}: {first['msg']}"
            ) from None
    return tuple(out)
