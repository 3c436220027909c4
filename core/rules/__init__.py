"""The rule engine, pure: rule models and packs, streaming evaluation of log rules and
point-in-time evaluation of telemetry, liveness, pipeline and self-health rules.

No database and no clock: callers pass data and ``now_ms``. The only I/O is
``load_packs``, which reads YAML files. Imports ``core.errors``, ``core.packs``,
``core.syslog``, pydantic, PyYAML and the standard library only.
"""

from core.rules.engine import MAX_KEYS, MAX_READINGS, PatternEngine, replay
from core.rules.evaluate import (
    evaluate_absence,
    evaluate_anomaly,
    evaluate_seq_gap,
    evaluate_seq_suspect,
    evaluate_system,
    evaluate_threshold,
    replay_telemetry,
    robust_z,
)
from core.rules.models import (
    AbsenceRule,
    AnomalyRule,
    AverageRule,
    Firing,
    LogEvent,
    PatternRule,
    Rule,
    SeqGapRule,
    SeqSuspectRule,
    Severity,
    SystemRule,
    ThresholdRule,
    device_type_matches,
)
from core.rules.packs import RULE_ADAPTER, RulePackError, load_packs, parse_rule

__all__ = [
    "MAX_KEYS",
    "MAX_READINGS",
    "RULE_ADAPTER",
    "AbsenceRule",
    "AnomalyRule",
    "AverageRule",
    "Firing",
    "LogEvent",
    "PatternEngine",
    "PatternRule",
    "Rule",
    "RulePackError",
    "SeqGapRule",
    "SeqSuspectRule",
    "Severity",
    "SystemRule",
    "ThresholdRule",
    "device_type_matches",
    "evaluate_absence",
    "evaluate_anomaly",
    "evaluate_seq_gap",
    "evaluate_seq_suspect",
    "evaluate_system",
    "evaluate_threshold",
    "load_packs",
    "parse_rule",
    "replay",
    "replay_telemetry",
    "robust_z",
]
