"""Playbook packs: ``data/playbooks/<pack>.yaml`` files, each a mapping

```yaml
pack: wifi                 # optional, defaults to the file name
description: …             # optional
playbooks:
  - id: wifi.auth-failures-station
    name: Inspect the failing station
    on: [wifi.auth-failures]
    steps:
      - kind: diagnostic
        template: station_info
        params: {interface: '{interface}', mac: '{mac}'}
```

YAML 1.1 reads a bare ``on:`` key as the boolean ``true``; such a key is read back as
``on``, so it need not be quoted. The files are read by ``core.packs.PackLoader``: every
playbook takes the file's pack name. A file that is not valid YAML, a playbook that does
not validate (unknown step kind, an unknown diagnostic template or parameter, an
unknown placeholder…)
or an id used twice (within a file or across files) raises ``PlaybookPackError`` naming
the file and the playbook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from core.errors import InvalidInput
from core.packs import PackLoader
from core.playbooks.models import Playbook

PLAYBOOK_ADAPTER: TypeAdapter[Playbook] = TypeAdapter(Playbook)


class PlaybookPackError(InvalidInput):
    title = "Invalid playbook pack"


def parse_playbook(data: dict[Any, Any]) -> Playbook:
    """One playbook from its mapping (as stored or edited); ``ValidationError`` when invalid.
    A ``True`` key (YAML's reading of a bare ``on:``) is taken as ``on``."""
    if True in data:
        data = {("on" if key is True else key): value for key, value in data.items()}
    return PLAYBOOK_ADAPTER.validate_python(data)


PLAYBOOK_PACKS: PackLoader[Playbook] = PackLoader(
    noun="playbook", parse=parse_playbook, error=PlaybookPackError
)


def load_playbooks(directory: Path) -> list[Playbook]:
    """All playbooks of ``directory/*.yaml``, files in name order, playbooks in file order;
    ``[]`` when the directory does not exist."""
    return PLAYBOOK_PACKS.load(directory)
