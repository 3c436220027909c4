"""Talking netlink to one network namespace: opening the socket, turning netlink errors into
``EnforcementError`` that names what failed and where, and finding an interface."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from core.config import INTERFACE_NAME
from core.errors import EnforcementError

__all__ = ["call", "checked_interface", "interface_index", "open_socket"]


def checked_interface(name: object) -> str:
    """``name`` when it is a Linux interface name (the pattern ``Settings`` checks too);
    ``EnforcementError`` otherwise. Names are data to netlink, but one that no interface can
    have is refused before anything is sent."""
    if not isinstance(name, str) or not INTERFACE_NAME.fullmatch(name):
        raise EnforcementError(f"{name!r} is not a valid interface name")
    return name


def open_socket(netns: str | None) -> IPRoute:
    """A netlink socket in ``netns`` (None: this process's namespace); the caller closes it."""
    try:
        # flags=0: a missing namespace is an error, never silently created.
        return IPRoute(netns=netns, flags=0) if netns else IPRoute()
    except (OSError, NetlinkError) as exc:
        where = f"network namespace {netns}" if netns else "the host"
        raise EnforcementError(f"cannot open netlink in {where}: {exc}") from exc


def call(what: str, device: str, request: Callable[[], Any]) -> Any:
    """``request()``, with a netlink error turned into ``EnforcementError``."""
    try:
        return request()
    except NetlinkError as exc:
        message = exc.args[1] if len(exc.args) > 1 else errno.errorcode.get(exc.code, "")
        raise EnforcementError(
            f"{what} on {device} failed: netlink error {exc.code} ({message})"
        ) from exc


def interface_index(ipr: IPRoute, name: str, netns: str | None) -> int:
    found = call("looking up the interface", name, lambda: ipr.link_lookup(ifname=name))
    if not found:
        where = f" in network namespace {netns}" if netns else ""
        raise EnforcementError(f"interface {name!r} does not exist{where}")
    return int(found[0])
