"""The rules as stored; see ``core.services.catalog``."""

from __future__ import annotations

from core.models import RuleRecord
from core.rules import Rule, parse_rule
from core.services.catalog import Catalog

RULES: Catalog[Rule] = Catalog(RuleRecord, parse_rule, noun="rule")  # type: ignore[arg-type]
