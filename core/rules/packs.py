"""Rule packs: ``data/rules/<pack>.yaml`` files, each a mapping

```yaml
pack: wifi                 # optional, defaults to the file name
description: …             # optional
rules:
  - id: wifi.deauth-flood
    kind: pattern
    …
```

read by ``core.packs.PackLoader``: every rule takes the file's pack name. A file that is
not valid YAML, a rule that does not validate (unknown kind, bad regex, unknown key
placeholder…) or an id used twice (within a file or across files) raises
``RulePackError`` naming the file and the rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from core.errors import InvalidInput
from core.packs import PackLoader
from core.rules.models import Rule

RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)


class RulePackError(InvalidInput):
    title = "Invalid rule pack"


def parse_rule(data: dict[str, Any]) -> Rule:
    """One rule from its mapping (as stored or edited); ``ValidationError`` when invalid."""
    return RULE_ADAPTER.validate_python(data)


RULE_PACKS: PackLoader[Rule] = PackLoader(
    noun="rule", parse=parse_rule, error=RulePackError, tag="kind"
)


def load_packs(directory: Path) -> list[Rule]:
    """All rules of ``directory/*.yaml``, files in name order, rules in file order."""
    return RULE_PACKS.load(directory)
