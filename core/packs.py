"""YAML packs of catalog entries: one loader for rule packs (``core.rules.packs``) and
playbook packs (``core.playbooks.packs``). Pure apart from reading the files.

A pack is a file ``<directory>/<pack>.yaml`` holding a mapping::

    pack: wifi                 # optional, defaults to the file name
    description: …             # optional
    rules:                     # the loader's key: rules, playbooks
      - id: wifi.deauth-flood
        …

Every entry takes the file's pack name. A file that is not valid YAML, an entry that does
not validate or an id used twice (within a file or across files) raises the loader's
error, naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import yaml
from pydantic import ValidationError

from core.errors import InvalidInput


class _Entry(Protocol):
    @property
    def id(self) -> str: ...


Entry = TypeVar("Entry", bound=_Entry)


def explain(exc: ValidationError, kind: object = None) -> str:
    """A validation error as one line, ``field.path: message; …``. ``kind`` is the value of
    a discriminated union's tag: pydantic puts it first in every location; it is left out."""
    parts = []
    for err in exc.errors(include_url=False):
        path = list(err["loc"])
        if path and path[0] == kind:  # the discriminated union puts the kind first
            path = path[1:]
        loc = ".".join(str(p) for p in path)
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


@dataclass(frozen=True)
class PackLoader(Generic[Entry]):
    """Loads the packs of one kind of entry."""

    noun: str
    """``rule``, ``playbook``: names the list (``rules``) and the entries in errors."""
    parse: Callable[[dict[Any, Any]], Entry]
    """One entry from its mapping; ``ValidationError`` when invalid."""
    error: type[InvalidInput]
    tag: str | None = None
    """The field that discriminates the entries' union (``kind``), if they are one."""

    def load(self, directory: Path) -> list[Entry]:
        """All entries of ``directory/*.yaml``, files in name order, entries in file
        order; ``[]`` when the directory does not exist."""
        entries: list[Entry] = []
        where: dict[str, Path] = {}
        for path in sorted(Path(directory).glob("*.yaml")):
            for entry in self.load_file(path):
                if entry.id in where:
                    raise self.error(
                        f"{path}: {self.noun} {entry.id!r}: duplicate id, "
                        f"already defined in {where[entry.id]}"
                    )
                where[entry.id] = path
                entries.append(entry)
        return entries

    def load_file(self, path: Path) -> list[Entry]:
        key = f"{self.noun}s"
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise self.error(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
            raise self.error(f"{path}: expected a mapping with a {key!r} list")
        pack = doc.get("pack", path.stem)
        if not isinstance(pack, str) or not pack:
            raise self.error(f"{path}: 'pack' must be a non-empty string")
        entries: list[Entry] = []
        for index, raw in enumerate(doc[key]):
            if not isinstance(raw, dict):
                raise self.error(f"{path}: {self.noun} #{index + 1} is not a mapping")
            label = (
                f"{self.noun} {raw['id']!r}"
                if isinstance(raw.get("id"), str)
                else f"{self.noun} #{index + 1}"
            )
            try:
                entries.append(self.parse({**raw, "pack": pack}))
            except ValidationError as exc:
                kind = raw.get(self.tag) if self.tag else None
                raise self.error(f"{path}: {label}: {explain(exc, kind)}") from None
        return entries
