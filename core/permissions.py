"""The one permission table: which role may do what, for every front end.

Services call ``authorize(actor, Permission.X)`` before they change anything; front ends
use ``allowed`` to hide or disable what a user may not do, and record refusals in the audit
log (``core.services.audit.record_denied``). An actor without a role is Warden itself or
the local operator at the gateway's shell (the CLI, who can read the database file anyway);
it may do everything.

Roles are ordered: viewer < operator < admin; each permission names the least role.
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import PermissionDenied
from core.models import Actor, Role

RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


class Permission(StrEnum):
    READ = "read"
    """Everything but secrets: devices, telemetry, logs, findings, intents, actions (not
    their steps' output), rules, playbooks, maintenance windows, stats, dead letters."""
    FINDINGS_WRITE = "findings.write"
    """Acknowledge, resolve and note findings."""
    INTENTS_WRITE = "intents.write"
    """Submit and revoke intents."""
    ACTIONS_DECIDE = "actions.decide"
    """Approve or reject playbook actions."""
    ACTIONS_OUTPUT = "actions.output"
    """Read what an action's steps printed (a diagnostic's output can show anything the
    machine knows): the roles that may approve the actions, not every viewer."""
    COMMANDS_SEND = "commands.send"
    DEVICES_WRITE = "devices.write"
    """Register, update, enable/disable, delete devices."""
    DEVICE_KEYS = "devices.keys"
    """Create, rotate and revoke device API keys."""
    CATALOG_WRITE = "catalog.write"
    """Edit, enable and disable rules and playbooks."""
    MAINTENANCE_WRITE = "maintenance.write"
    WEBHOOKS_WRITE = "webhooks.write"
    USERS_MANAGE = "users.manage"
    """Users and their roles; reading users too."""
    AUDIT_READ = "audit.read"
    SETTINGS_READ = "settings.read"


PERMISSIONS: dict[Permission, Role] = {
    Permission.READ: Role.VIEWER,
    Permission.FINDINGS_WRITE: Role.OPERATOR,
    Permission.INTENTS_WRITE: Role.OPERATOR,
    Permission.ACTIONS_DECIDE: Role.OPERATOR,
    Permission.ACTIONS_OUTPUT: Role.OPERATOR,
    Permission.COMMANDS_SEND: Role.OPERATOR,
    Permission.DEVICES_WRITE: Role.ADMIN,
    Permission.DEVICE_KEYS: Role.ADMIN,
    Permission.CATALOG_WRITE: Role.ADMIN,
    Permission.MAINTENANCE_WRITE: Role.ADMIN,
    Permission.WEBHOOKS_WRITE: Role.ADMIN,
    Permission.USERS_MANAGE: Role.ADMIN,
    Permission.AUDIT_READ: Role.ADMIN,
    Permission.SETTINGS_READ: Role.ADMIN,
}


def allowed(role: Role | None, permission: Permission) -> bool:
    if role is None:
        return True
    return RANK[Role(role)] >= RANK[PERMISSIONS[permission]]


def authorize(actor: Actor, permission: Permission) -> None:
    """Raise ``PermissionDenied`` unless the actor's role allows ``permission``."""
    if not allowed(actor.role, permission):
        need = PERMISSIONS[permission].value
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not {permission.value}: it needs the {need} role"
        )
