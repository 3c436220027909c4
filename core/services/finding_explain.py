"""A finding explained for a person, the same in both consoles: the rule that raised it (its
name, what it means and what to do about it), the log lines it cites whole, and its captured
details with times as times rather than epoch milliseconds.

Rules of the shipped packs carry their description and remediation; the findings Warden
raises itself (enforcement drift, intents violated, settings never acknowledged) are
described here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel

from core.clock import from_ms
from core.errors import NotFound
from core.models import FindingPublic, LogPublic
from core.services import findings
from core.services.rules import RULES

BUILT_IN: dict[str, tuple[str, str, str]] = {
    "enforcement.drift": (
        "Enforcement drift",
        "Something outside Warden changed what Warden had put in tc or nftables (a script, "
        "another tool, an interface brought down and up); Warden put it back.",
        "Find what changed it (the summary names the classes and rules), so that it stops "
        "fighting Warden; `warden enforcement status` shows what is held now.",
    ),
    "enforcement.violated": (
        "Intent violated",
        "Verification measured that the network does not do what an intent asks, several "
        "checks in a row.",
        "`warden intent show ID` shows what was measured against what was asked: check the "
        "device's address, the link rate setting, and whether its traffic bypasses the gateway.",
    ),
    "enforcement.unacked": (
        "Device setting not acknowledged",
        "A device setting was sent (and sent again) but the device never acknowledged it.",
        "Check that the device is online and runs a firmware that accepts the setting; "
        "`warden command list --device DEVICE` shows what was sent.",
    ),
    "storage.database-recovered": (
        "Database was corrupt at start",
        "SQLite could not read the database file when Warden started; the file was moved "
        "aside (kept, named in the summary) and Warden started on a fresh, empty database.",
        "Stop Warden and restore the backup the summary names (`warden backup restore NAME`); "
        "then find out why the file broke (a failing SD card, a power cut without a UPS).",
    ),
}
TIME_KEYS = ("ts", "ts_ms", "at_ms", "first_ms", "last_ms", "since_ms", "until_ms")


class RuleExplained(SQLModel):
    id: str
    name: str
    description: str
    remediation: str
    known: bool
    """False when the rule is gone from the catalog (then only its id is known)."""


class DetailLine(SQLModel):
    """One captured detail: ``at`` is set when the value is a time (shown as a local date
    and an age by the consoles), else ``text`` is the value as plain text."""

    label: str
    text: str
    at: datetime | None = None


class FindingExplained(SQLModel):
    finding: FindingPublic
    rule: RuleExplained
    evidence: list[LogPublic]
    """The cited log lines, whole, oldest first."""
    details: list[DetailLine]
    opened: str
    """``opened once`` / ``opened 3 times``."""


def explain(*, session: Session, finding_id: int) -> FindingExplained:
    finding = findings.get_finding(session=session, finding_id=finding_id)
    return FindingExplained(
        finding=finding,
        rule=explain_rule(session=session, rule_id=finding.rule_id),
        evidence=findings.evidence_lines(session=session, finding_id=finding_id),
        details=readable_details(finding.details),
        opened="opened once"
        if finding.times_opened <= 1
        else f"opened {finding.times_opened} times",
    )


def explain_rule(*, session: Session, rule_id: str) -> RuleExplained:
    if rule_id in BUILT_IN:
        name, description, remediation = BUILT_IN[rule_id]
        return RuleExplained(
            id=rule_id, name=name, description=description, remediation=remediation, known=True
        )
    try:
        rule = RULES.get(session=session, entry_id=rule_id)
    except NotFound:
        return RuleExplained(id=rule_id, name=rule_id, description="", remediation="", known=False)
    return RuleExplained(
        id=rule.id,
        name=rule.name,
        description=" ".join(rule.description.split()),
        remediation=" ".join(rule.remediation.split()),
        known=True,
    )


def readable_details(details: dict[str, Any]) -> list[DetailLine]:
    """The finding's captured details as labelled lines: epoch milliseconds become times,
    lists and mappings become short plain text, nothing is dropped."""
    lines = []
    for key, value in details.items():
        label = key.replace("_", " ")
        if _is_time(key, value):
            lines.append(DetailLine(label=label.removesuffix(" ms"), text="", at=from_ms(value)))
        elif isinstance(value, list):
            lines.append(DetailLine(label=label, text="; ".join(_plain(v) for v in value)))
        else:
            lines.append(DetailLine(label=label, text=_plain(value)))
    return lines


def _is_time(key: str, value: Any) -> bool:
    plausible = isinstance(value, int) and not isinstance(value, bool) and value > 10**11
    return plausible and (key in TIME_KEYS or key.endswith("_ms"))


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return json.dumps(value, default=str)
