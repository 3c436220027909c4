"""One small exception family. Each error has a title and a message a person can act on;
front ends catch ``WardenError`` at the edge and show both."""

from __future__ import annotations


class WardenError(Exception):
    """Base of every error Warden raises on purpose."""

    title = "Warden error"

    def __init__(self, msg: str, *, title: str | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.msg


class ConfigError(WardenError):
    title = "Invalid configuration"


class InvalidInput(WardenError):
    """A value given by a person or a client is malformed or out of range."""

    title = "Invalid input"


class NotFound(WardenError):
    title = "Not found"

    def __init__(self, msg: str, *, suggestions: list[str] | None = None) -> None:
        super().__init__(msg)
        self.suggestions = suggestions or []


class DeviceNotFound(NotFound):
    title = "Unknown device"


class SeriesNotFound(NotFound):
    title = "Unknown series"


class Conflict(WardenError):
    title = "Conflict"


class DatabaseError(WardenError):
    title = "Database error"


class EnforcementError(WardenError):
    """The kernel (netlink, nftables) refused or failed a change; the message says which."""

    title = "Enforcement failed"


class Unauthenticated(WardenError):
    """No valid credentials: a wrong password, a bad or expired token, an unknown key."""

    title = "Not authenticated"


class PermissionDenied(WardenError):
    """The acting user's role does not allow the action (``core.permissions``)."""

    title = "Permission denied"


class Throttled(WardenError):
    """Too many attempts (logins, device requests); retry after ``retry_after_s``."""

    title = "Too many attempts"

    def __init__(self, msg: str, *, retry_after_s: int) -> None:
        super().__init__(msg)
        self.retry_after_s = retry_after_s
