"""Loading playbook packs: ``data/playbooks/<pack>.yaml`` files, each a mapping

```yaml
pack: wifi                 # optional, defaults to the file name
description: …             # optional
playbooks:
  - id: wifi.auth-failures-station
    name: Inspect the failing station
    on: [wifi.auth-failures]
    steps:
      - kind: diagnostic
        argv: [iw, dev, '{interface}', station, get, '{mac}']
```

YAML 1.1 reads a bare ``on:`` key as the boolean ``true``; such a key is read back as
``on``, so it need not be quoted. Every playbook takes the file's pack name. A file that is
not valid YAML, a playbook that does not validate (unknown step kind, a program that is not
allowed, an unknown placeholder…) or an id used twice (within a file or across files) raises
``PlaybookPackError`` naming the file and the playbook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from core.errors import InvalidInput
from core.playbooks.models import Playbook
from core.rules.packs import explain

PLAYBOOK_ADAPTER: TypeAdapter[Playbook] = TypeAdapter(Playbook)


class PlaybookPackError(InvalidInput):
    title = "Invalid playbook pack"


def parse_playbook(data: dict[Any, Any]) -> Playbook:
    """One playbook from its mapping (as stored or edited); ``ValidationError`` when invalid.
    A ``True`` key (YAML's reading of a bare ``on:``) is taken as ``on``."""
    if True in data:
        data = {("on" if key is True else key): value for key, value in data.items()}
    return PLAYBOOK_ADAPTER.validate_python(data)


def _load_file(path: Path) -> list[Playbook]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlaybookPackError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("playbooks"), list):
        raise PlaybookPackError(f"{path}: expected a mapping with a 'playbooks' list")
    pack = doc.get("pack", path.stem)
    if not isinstance(pack, str) or not pack:
        raise PlaybookPackError(f"{path}: 'pack' must be a non-empty string")
    playbooks: list[Playbook] = []
    for index, raw in enumerate(doc["playbooks"]):
        if not isinstance(raw, dict):
            raise PlaybookPackError(f"{path}: playbook #{index + 1} is not a mapping")
        label = (
            f"playbook {raw['id']!r}"
            if isinstance(raw.get("id"), str)
            else f"playbook #{index + 1}"
        )
        try:
            playbooks.append(parse_playbook({**raw, "pack": pack}))
        except ValidationError as exc:
            raise PlaybookPackError(f"{path}: {label}: {explain(exc)}") from None
    return playbooks


def load_playbooks(directory: Path) -> list[Playbook]:
    """All playbooks of ``directory/*.yaml``, files in name order, playbooks in file order;
    ``[]`` when the directory does not exist."""
    playbooks: list[Playbook] = []
    where: dict[str, Path] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for playbook in _load_file(path):
            if playbook.id in where:
                raise PlaybookPackError(
                    f"{path}: playbook {playbook.id!r}: duplicate id, "
                    f"already defined in {where[playbook.id]}"
                )
            where[playbook.id] = path
            playbooks.append(playbook)
    return playbooks
