"""Read-only views the rules and admin pages need that no other service offers: replaying
stored history through a rule ("would it have fired in the last 24 h, and why not?"), the
settings in force with every secret masked, and facts about the database and the build.

``replay_rule`` is the logic behind ``warden rules test`` made callable from any front end
(the CLI keeps its own copy for now; it could call this one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from core.config import SECRET_MASK, Settings, effective_settings
from core.errors import InvalidInput
from core.models import Actor
from core.permissions import Permission, authorize
from core.rule_runner import log_event
from core.rules import (
    AnomalyRule,
    AverageRule,
    Firing,
    PatternRule,
    ThresholdRule,
    replay,
    replay_telemetry,
)
from core.services import logs as log_service
from core.services import telemetry
from core.services.rules import RULES

REPLAY_LIMIT = 200_000
"""Log lines replayed at most (the newest)."""
REPLAY_POINTS = 50_000
"""Readings per device replayed at most (the newest)."""
PACKAGE = "edgewarden"
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]+@", re.IGNORECASE
)
_SECRET_NAMES = ("secret", "password", "token", "api_key")


@dataclass(frozen=True)
class RuleReplay:
    """What a rule (as stored now, enabled or not) would have raised on stored history."""

    rule_id: str
    looked_at: str
    """What was replayed, e.g. ``1200 lines replayed, 3 matched``."""
    why_not: str
    """Why it did not fire (meaningful when ``firings`` is empty)."""
    firings: list[Firing] = field(default_factory=list)


def replay_rule(*, session: Session, rule_id: str, since_ms: int, until_ms: int) -> RuleReplay:
    """Replay the stored log lines or readings in ``[since_ms, until_ms)`` through the rule.
    ``InvalidInput`` for a rule that judges the present (liveness, sequence gaps, health),
    whose history is not kept; ``NotFound`` for an unknown rule."""
    if since_ms >= until_ms:
        raise InvalidInput("the replay must start before it ends")
    rule = RULES.get(session=session, entry_id=rule_id).model_copy(update={"enabled": True})
    if isinstance(rule, PatternRule | AverageRule):
        return _replay_logs(session, rule, since_ms, until_ms)
    if isinstance(rule, ThresholdRule | AnomalyRule):
        return _replay_readings(session, rule, since_ms, until_ms)
    raise InvalidInput(
        f"{rule_id} ({rule.kind} rule) judges the present (liveness, sequence counters, "
        "Warden's own health), whose history is not kept, so it cannot be replayed; "
        "its findings show what it raised"
    )


def _replay_logs(
    session: Session, rule: PatternRule | AverageRule, since_ms: int, until_ms: int
) -> RuleReplay:
    lines = log_service.query_logs(
        session=session, since_ms=since_ms, until_ms=until_ms, limit=REPLAY_LIMIT
    )
    events = [log_event(line) for line in reversed(lines)]
    selected = [e for e in events if rule.selects(e)]
    pattern = re.compile(rule.regex)
    matched = sum(1 for e in selected if pattern.search(e.message))
    if not events:
        why = "no log lines were stored in that time"
    elif not selected:
        why = "no stored line passes the rule's class/app/host restrictions"
    elif not matched:
        why = f"{len(selected)} line(s) passed the restrictions but none matched the regex"
    elif isinstance(rule, PatternRule):
        why = (
            f"{matched} line(s) matched, but never {rule.threshold} for one key "
            f"({rule.key}) within {rule.window_s} s"
        )
    else:
        why = (
            f"{matched} line(s) matched, but never {rule.min_count} readings for one key "
            f"within {rule.window_s} s averaging {rule.op} {rule.bound:g}"
        )
    return RuleReplay(
        rule_id=rule.id,
        looked_at=f"{len(events)} lines replayed, {matched} matched",
        why_not=why,
        firings=replay([rule], events),
    )


def _replay_readings(
    session: Session, rule: ThresholdRule | AnomalyRule, since_ms: int, until_ms: int
) -> RuleReplay:
    history_s = rule.window_s if isinstance(rule, AnomalyRule) else rule.for_s
    windows = telemetry.metric_windows(
        session=session,
        metric=rule.metric,
        since_ms=since_ms - history_s * 1000,
        until_ms=until_ms,
        max_points=REPLAY_POINTS,
    )
    firings: list[Firing] = []
    readings = 0
    for device_id, device_type, points in windows:
        readings += len(points)
        firings += replay_telemetry(
            rule,
            device_id=device_id,
            device_type=device_type,
            points=points,
            since_ms=since_ms,
            until_ms=until_ms,
        )
    firings.sort(key=lambda f: f.ts_ms)
    if not windows:
        why = f"no device has readings of {rule.metric!r} in that time"
    elif isinstance(rule, ThresholdRule):
        why = f"no reading stayed {rule.op} {rule.value:g} for {rule.for_s} s" + (
            f" on a {rule.device_type}" if rule.device_type else ""
        )
    else:
        why = (
            f"no reading lay more than {rule.z:g} robust deviations from the {rule.window_s} s "
            f"before it (with at least {rule.min_count} readings there)"
        )
    return RuleReplay(
        rule_id=rule.id,
        looked_at=f"{readings} readings of {rule.metric} from {len(windows)} device(s)",
        why_not=why,
        firings=firings,
    )


def mask_credentials(text: str) -> str:
    """``scheme://user:password@host`` → ``scheme://user:********@host``, anywhere in
    ``text`` (a list of broker URLs too)."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{SECRET_MASK}@", text)


def masked_settings(*, settings: Settings, actor: Actor) -> dict[str, str]:
    """The settings in force as display strings (``warden config show``): secrets masked,
    passwords in URLs masked, and anything named like a secret masked whatever its type."""
    authorize(actor, Permission.SETTINGS_READ)
    shown: dict[str, str] = {}
    for name, value in effective_settings(settings).items():
        if value is None:
            text = ""
        elif any(word in name for word in _SECRET_NAMES) and value not in ("", SECRET_MASK):
            text = SECRET_MASK
        else:
            text = mask_credentials(_text(value))
        shown[name] = text
    return shown


def _text(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class SystemInfo:
    version: str
    database: str
    """The database URL without user or password."""
    backend: str
    size_bytes: int | None
    """On disk (the SQLite file and its WAL); None for a server database."""


def system_info(*, settings: Settings, actor: Actor) -> SystemInfo:
    authorize(actor, Permission.SETTINGS_READ)
    url = make_url(settings.resolved_database_url)
    size = None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        files = [path, path.with_name(path.name + "-wal")]
        size = sum(f.stat().st_size for f in files if f.exists()) if path.exists() else None
    return SystemInfo(
        version=warden_version(),
        database=URL.create(
            url.drivername, host=url.host, port=url.port, database=url.database, query=url.query
        ).render_as_string(hide_password=True),
        backend=url.get_backend_name(),
        size_bytes=size,
    )


def warden_version() -> str:
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown (not installed as a package)"
