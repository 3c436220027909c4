"""The tables and their public models, each loaded when first asked for.

``from core.models import Device`` imports ``core.models.device`` only: a read command of
the CLI that needs one table does not pay for building all of them (sqlmodel makes every
model class, ~0.5 s for the whole set). ``register_all()`` imports every table module, so
``SQLModel.metadata`` knows every table (migrations and their tests call it).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors; at run time ``__getattr__`` loads them
    from core.models.action import Action, ActionPublic, ActionState
    from core.models.agent import AgentBeat, AgentPublic, AgentRecord, ClusterStatus
    from core.models.catalog import CatalogPublic, PlaybookRecord, RuleRecord
    from core.models.changelog import Actor, ChangeLog, ChangePublic, Origin, Outcome, Role
    from core.models.command import Command, CommandPublic, CommandState
    from core.models.deadletter import DeadLetter, DeadLetterPublic
    from core.models.device import (
        Device,
        DeviceCreate,
        DeviceFilter,
        DevicePublic,
        DeviceStatus,
        DeviceUpdate,
    )
    from core.models.finding import (
        Finding,
        FindingNote,
        FindingNotePublic,
        FindingPublic,
        FindingStatus,
    )
    from core.models.ingest import DeviceSeq, SeqPublic
    from core.models.intent import (
        IntentCheck,
        IntentCheckIn,
        IntentCheckPublic,
        IntentPublic,
        IntentRecord,
        IntentStatus,
        PlannedIntent,
        PlanPublic,
        PolicyCheck,
        PolicyPublic,
        PolicyRecord,
        PolicyState,
        PolicyStatus,
        StoredPolicy,
        Verdict,
    )
    from core.models.log import LogEntry, LogPublic
    from core.models.maintenance import MaintenancePublic, MaintenanceWindow
    from core.models.notify import (
        Notification,
        NotificationPublic,
        WebhookTarget,
        WebhookTargetPublic,
    )
    from core.models.rollup import RollupHour, RollupMinute, RollupPending, RollupState
    from core.models.setting import Setting
    from core.models.sink import MirrorPending, SinkState
    from core.models.telemetry import Point, Reading, ReadingIn, Series, SeriesPublic, SeriesWindow
    from core.models.user import (
        ApiKey,
        ApiKeyPublic,
        LoginThrottle,
        RefreshToken,
        User,
        UserPublic,
    )

# name → the module of this package that defines it.
_HOME: dict[str, str] = {
    "Action": "action",
    "AgentBeat": "agent",
    "AgentPublic": "agent",
    "AgentRecord": "agent",
    "ClusterStatus": "agent",
    "ActionPublic": "action",
    "ActionState": "action",
    "Actor": "changelog",
    "ApiKey": "user",
    "ApiKeyPublic": "user",
    "CatalogPublic": "catalog",
    "ChangeLog": "changelog",
    "ChangePublic": "changelog",
    "Command": "command",
    "CommandPublic": "command",
    "CommandState": "command",
    "DeadLetter": "deadletter",
    "DeadLetterPublic": "deadletter",
    "Device": "device",
    "DeviceCreate": "device",
    "DeviceFilter": "device",
    "DevicePublic": "device",
    "DeviceSeq": "ingest",
    "DeviceStatus": "device",
    "DeviceUpdate": "device",
    "Finding": "finding",
    "FindingNote": "finding",
    "FindingNotePublic": "finding",
    "FindingPublic": "finding",
    "FindingStatus": "finding",
    "IntentCheck": "intent",
    "IntentCheckIn": "intent",
    "IntentCheckPublic": "intent",
    "IntentPublic": "intent",
    "IntentRecord": "intent",
    "IntentStatus": "intent",
    "LogEntry": "log",
    "LogPublic": "log",
    "LoginThrottle": "user",
    "MaintenancePublic": "maintenance",
    "MaintenanceWindow": "maintenance",
    "MirrorPending": "sink",
    "Notification": "notify",
    "NotificationPublic": "notify",
    "Origin": "changelog",
    "Outcome": "changelog",
    "PlanPublic": "intent",
    "PlannedIntent": "intent",
    "PlaybookRecord": "catalog",
    "Point": "telemetry",
    "PolicyCheck": "intent",
    "PolicyPublic": "intent",
    "PolicyRecord": "intent",
    "PolicyState": "intent",
    "PolicyStatus": "intent",
    "Reading": "telemetry",
    "ReadingIn": "telemetry",
    "RefreshToken": "user",
    "Role": "changelog",
    "RollupHour": "rollup",
    "RollupMinute": "rollup",
    "RollupPending": "rollup",
    "RollupState": "rollup",
    "RuleRecord": "catalog",
    "SeqPublic": "ingest",
    "Series": "telemetry",
    "SeriesPublic": "telemetry",
    "SeriesWindow": "telemetry",
    "Setting": "setting",
    "SinkState": "sink",
    "StoredPolicy": "intent",
    "User": "user",
    "UserPublic": "user",
    "Verdict": "intent",
    "WebhookTarget": "notify",
    "WebhookTargetPublic": "notify",
}


def __getattr__(name: str) -> Any:
    """``core.models.<name>``: imports the one module that defines it (PEP 562)."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'core.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"core.models.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


def register_all() -> None:
    """Import every module of this package, so each table is on ``SQLModel.metadata``
    (a new module is found without being listed)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"core.models.{module.name}")


__all__ = [
    "Action",
    "ActionPublic",
    "ActionState",
    "Actor",
    "AgentBeat",
    "AgentPublic",
    "AgentRecord",
    "ApiKey",
    "ApiKeyPublic",
    "CatalogPublic",
    "ChangeLog",
    "ChangePublic",
    "ClusterStatus",
    "Command",
    "CommandPublic",
    "CommandState",
    "DeadLetter",
    "DeadLetterPublic",
    "Device",
    "DeviceCreate",
    "DeviceFilter",
    "DevicePublic",
    "DeviceSeq",
    "DeviceStatus",
    "DeviceUpdate",
    "Finding",
    "FindingNote",
    "FindingNotePublic",
    "FindingPublic",
    "FindingStatus",
    "IntentCheck",
    "IntentCheckIn",
    "IntentCheckPublic",
    "IntentPublic",
    "IntentRecord",
    "IntentStatus",
    "LogEntry",
    "LogPublic",
    "LoginThrottle",
    "MaintenancePublic",
    "MaintenanceWindow",
    "MirrorPending",
    "Notification",
    "NotificationPublic",
    "Origin",
    "Outcome",
    "PlanPublic",
    "PlannedIntent",
    "PlaybookRecord",
    "Point",
    "PolicyCheck",
    "PolicyPublic",
    "PolicyRecord",
    "PolicyState",
    "PolicyStatus",
    "Reading",
    "ReadingIn",
    "RefreshToken",
    "Role",
    "RollupHour",
    "RollupMinute",
    "RollupPending",
    "RollupState",
    "RuleRecord",
    "SeqPublic",
    "Series",
    "SeriesPublic",
    "SeriesWindow",
    "Setting",
    "SinkState",
    "StoredPolicy",
    "User",
    "UserPublic",
    "Verdict",
    "WebhookTarget",
    "WebhookTargetPublic",
]
