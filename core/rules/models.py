"""What a rule is (pydantic models, one per ``kind``), what a rule looks at (``LogEvent``)
and what it says when it fires (``Firing``). Pure: no database, no clock, no I/O.

A pattern or average rule's ``key`` is a template such as ``"{mac}"`` or ``"{host}:{iface}"``:
each ``{name}`` is a named capture group of the rule's regex or one of the event fields in
``EVENT_FIELDS``. Only plain names are allowed (no ``{x.attr}``, no format specs), and every
name is checked when the rule is loaded. ``summary`` (optional) is a template over the same
names plus ``count``, ``window_s``, ``key`` (and ``average`` for average rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.syslog import SyslogRecord

SLUG = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
EVENT_FIELDS = frozenset({"host", "app", "log_class", "device_id", "source_ip"})
"""Event fields a key or summary template may name besides the regex's named groups."""
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_]\w*$")

Comparator = Literal["<", "<=", ">", ">="]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def placeholders(template: str) -> list[str]:
    """The ``{name}`` placeholders of a template; ``ValueError`` for anything but plain names."""
    names = _PLACEHOLDER.findall(template)
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"placeholder {{{name}}} is not a plain name")
    return names


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders; a name without a value (an optional group that did not
    take part in the match, a missing host) becomes ``-``."""

    def one(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        return "-" if value is None else str(value)

    return _PLACEHOLDER.sub(one, template)


def normalise_capture(name: str, value: str) -> str:
    """A captured value as keys and placeholders use it: MAC addresses (a group named
    ``mac`` or ``…_mac``) in lower case with colons, so one client is one key whichever
    daemon or case printed it; anything else as captured."""
    if name == "mac" or name.endswith("_mac"):
        return value.lower().replace("-", ":")
    return value


def compare(left: float, op: str, right: float) -> bool:
    match op:
        case "<":
            return left < right
        case "<=":
            return left <= right
        case ">":
            return left > right
        case ">=":
            return left >= right
    raise ValueError(f"unknown comparator {op!r}")


def device_type_matches(wanted: str | None, actual: str | None) -> bool:
    """``wanted`` selects ``actual`` when it is ``None``, equal, or a ``wanted_…`` prefix
    (``sensor`` selects ``sensor`` and ``sensor_temp``, not ``sensors``)."""
    if wanted is None:
        return True
    if actual is None:
        return False
    return actual == wanted or actual.startswith(wanted + "_")


class _RuleBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=SLUG, max_length=80)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    pack: str = ""
    severity: Severity
    enabled: bool = True
    description: str = ""
    remediation: str = ""
    """What an operator can do about a finding of this rule (shown with the finding)."""
    cooldown_s: Annotated[int, Field(ge=0)] = 0


class _LogRuleBase(_RuleBase):
    regex: str
    classes: list[str] | None = None
    apps: list[str] | None = None
    hosts: list[str] | None = None
    key: str = "{host}"
    window_s: Annotated[int, Field(gt=0)]
    summary: str | None = None

    @field_validator("apps")
    @classmethod
    def _lower_apps(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [a.lower() for a in value]

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"regex does not compile: {exc}") from None
        return value

    @model_validator(mode="after")
    def _templates_name_known_fields(self) -> _LogRuleBase:
        groups = set(re.compile(self.regex).groupindex)
        allowed = groups | EVENT_FIELDS
        for label, template, extra in (
            ("key", self.key, set()),
            ("summary", self.summary or "", {"count", "window_s", "key", "average"}),
        ):
            try:
                names = placeholders(template)
            except ValueError as exc:
                raise ValueError(f"{label}: {exc}") from None
            unknown = sorted(set(names) - allowed - extra)
            if unknown:
                raise ValueError(
                    f"{label} names {', '.join(unknown)}: neither a named group of the regex "
                    f"nor one of {', '.join(sorted(EVENT_FIELDS))}"
                )
        return self

    def selects(self, event: LogEvent) -> bool:
        """Whether the event passes the class/app/host restrictions (not the regex)."""
        if self.classes is not None and event.log_class not in self.classes:
            return False
        if self.apps is not None and (event.app or "").lower() not in self.apps:
            return False
        return self.hosts is None or event.host in self.hosts


class PatternRule(_LogRuleBase):
    """Fires when ``threshold`` matches for one key fall within ``window_s``.

    Two optional ways to count other than "every match", each naming a group of the regex:
    ``distinct`` counts the different values the group took (a flood of many clients on one
    radio is ten different MACs, not one client failing ten times); ``changes`` counts only
    the matches whose value differs from the key's previous one (a link going up, down, up
    is three transitions; the same "up" repeated is one).
    """

    kind: Literal["pattern"] = "pattern"
    threshold: Annotated[int, Field(ge=1, le=10_000)] = 1
    distinct: str | None = None
    changes: str | None = None

    @model_validator(mode="after")
    def _counting_names_a_group(self) -> PatternRule:
        groups = set(re.compile(self.regex).groupindex)
        for label, name in (("distinct", self.distinct), ("changes", self.changes)):
            if name is not None and name not in groups:
                raise ValueError(f"{label} names {name}, which is not a named group of the regex")
        if self.distinct is not None and self.changes is not None:
            raise ValueError("a rule counts either distinct values or changes, not both")
        return self


class AverageRule(_LogRuleBase):
    kind: Literal["average"] = "average"
    min_count: Annotated[int, Field(ge=1, le=10_000)]
    op: Literal["<", ">"]
    bound: float

    @field_validator("regex")
    @classmethod
    def _has_value_group(cls, value: str) -> str:
        if "value" not in re.compile(value).groupindex:
            raise ValueError("an average rule's regex needs a named group (?P<value>…)")
        return value


class ThresholdRule(_RuleBase):
    kind: Literal["threshold"] = "threshold"
    metric: Annotated[str, Field(min_length=1)]
    op: Comparator
    value: float
    for_s: Annotated[int, Field(ge=0)] = 0
    device_type: str | None = None


class AbsenceRule(_RuleBase):
    kind: Literal["absence"] = "absence"
    grace_s: Annotated[int, Field(ge=0)]
    device_type: str | None = None


class SeqGapRule(_RuleBase):
    kind: Literal["seq_gap"] = "seq_gap"
    min_missing: Annotated[int, Field(ge=1)] = 1
    window_s: Annotated[int, Field(gt=0)]


class SeqSuspectRule(_RuleBase):
    """Messages held because their sequence number jumped too far ahead to be trusted
    (``core.protocol.seq``): a forged or replayed message, or a device that kept counting
    through a long outage (its next message then corroborates the jump)."""

    kind: Literal["seq_suspect"] = "seq_suspect"
    min_count: Annotated[int, Field(ge=1)] = 1
    window_s: Annotated[int, Field(gt=0)]


class AnomalyRule(_RuleBase):
    kind: Literal["anomaly"] = "anomaly"
    metric: Annotated[str, Field(min_length=1)]
    window_s: Annotated[int, Field(gt=0)]
    z: Annotated[float, Field(gt=0)] = 3.5
    min_count: Annotated[int, Field(ge=3)] = 20
    device_type: str | None = None


class SystemRule(_RuleBase):
    kind: Literal["system"] = "system"
    check: Literal[
        "disk_free_pct",
        "queue_backlog",
        "dead_letter_rate",
        "fleet_gap_pct",
        "sinks_failing",
        "archive_spool_pct",
        "store_full",
    ]
    op: Comparator
    value: float


Rule = Annotated[
    PatternRule
    | AverageRule
    | ThresholdRule
    | AbsenceRule
    | SeqGapRule
    | SeqSuspectRule
    | AnomalyRule
    | SystemRule,
    Field(discriminator="kind"),
]


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One stored log line as the rules see it. ``id`` is the log row id (``None`` before
    it is stored); ``ts_ms`` is the line's time, which is the engine's only clock."""

    ts_ms: int
    id: int | None
    host: str | None
    app: str | None
    log_class: str
    message: str
    device_id: str | None = None
    source_ip: str | None = None

    @classmethod
    def from_record(
        cls,
        record: SyslogRecord,
        *,
        id: int | None = None,
        device_id: str | None = None,
        source_ip: str | None = None,
    ) -> LogEvent:
        return cls(
            ts_ms=record.ts_ms,
            id=id,
            host=record.host,
            app=record.app,
            log_class=str(record.log_class),
            message=record.message,
            device_id=device_id,
            source_ip=source_ip,
        )


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule fired. ``key`` is the dedup key within the rule; ``evidence`` holds log ids
    (pattern, average) or reading timestamps in ms (threshold, anomaly)."""

    rule_id: str
    severity: Severity
    key: str
    device_id: str | None
    ts_ms: int
    count: int
    evidence: list[int]
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
