"""Loading rule packs: ``data/rules/<pack>.yaml`` files, each a mapping

```yaml
pack: wifi                 # optional, defaults to the file name
description: …             # optional
rules:
  - id: wifi.deauth-flood
    kind: pattern
    …
```

Every rule takes the file's pack name. A file that is not valid YAML, a rule that does not
validate (unknown kind, bad regex, unknown key placeholder…) or an id used twice (within a
file or across files) raises ``RulePackError`` naming the file and the rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from core.errors import InvalidInput
from core.rules.models import Rule

RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)


class RulePackError(InvalidInput):
    title = "Invalid rule pack"


def parse_rule(data: dict[str, Any]) -> Rule:
    """One rule from its mapping (as stored or edited); ``ValidationError`` when invalid."""
    return RULE_ADAPTER.validate_python(data)


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


def _load_file(path: Path) -> list[Rule]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulePackError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulePackError(f"{path}: expected a mapping with a 'rules' list")
    pack = doc.get("pack", path.stem)
    if not isinstance(pack, str) or not pack:
        raise RulePackError(f"{path}: 'pack' must be a non-empty string")
    rules: list[Rule] = []
    for index, raw in enumerate(doc["rules"]):
        if not isinstance(raw, dict):
            raise RulePackError(f"{path}: rule #{index + 1} is not a mapping")
        label = f"rule {raw['id']!r}" if isinstance(raw.get("id"), str) else f"rule #{index + 1}"
        try:
            rules.append(parse_rule({**raw, "pack": pack}))
        except ValidationError as exc:
            raise RulePackError(f"{path}: {label}: {explain(exc, raw.get('kind'))}") from None
    return rules


def load_packs(directory: Path) -> list[Rule]:
    """All rules of ``directory/*.yaml``, files in name order, rules in file order."""
    rules: list[Rule] = []
    where: dict[str, Path] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for rule in _load_file(path):
            if rule.id in where:
                raise RulePackError(
                    f"{path}: rule {rule.id!r}: duplicate id, already defined in {where[rule.id]}"
                )
            where[rule.id] = path
            rules.append(rule)
    return rules
