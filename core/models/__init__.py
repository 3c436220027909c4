"""The tables and their public models. Importing this package registers every table on
``SQLModel.metadata`` (migrations and tests rely on that)."""

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
