"""What the registry holds, handed to the parser as plain data so that its suggestions
name the real fleet: device names, types and the settings devices declare.

The parser stays pure: a ``Fleet`` is built by the caller (``services.resolve.fleet_of``)
and only changes the wording of suggestions, never how a sentence reads.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fleet:
    names: frozenset[str] = field(default_factory=frozenset)
    """Device ids and names, as typed in the registry."""
    types: tuple[str, ...] = ()
    """Device types, most common first."""
    settings: tuple[str, ...] = ()
    """Words naming the settings devices declare ("capture interval", "gain")."""

    def has_name(self, name: str) -> bool:
        return name in self.names or name.lower() in self._lower_names

    @property
    def _lower_names(self) -> frozenset[str]:
        return frozenset(name.lower() for name in self.names)

    def close_name(self, name: str) -> str | None:
        """The fleet's name closest to ``name`` (a likely typo), if one is close."""
        found = difflib.get_close_matches(name, sorted(self.names), n=1, cutoff=0.75)
        return found[0] if found else None

    def example_name(self, index: int = 0) -> str | None:
        names = sorted(self.names)
        return names[index % len(names)] if names else None

    def example_type(self, index: int = 0) -> str | None:
        return self.types[index % len(self.types)] if self.types else None


def plural(word: str) -> str:
    """'camera' → 'cameras', 'battery' → 'batteries', 'switch' → 'switches'."""
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"
