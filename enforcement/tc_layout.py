"""Where Warden's tc objects live: the handles, priorities and protocol numbers the shaper's
modules share (the layout itself is drawn in ``enforcement.tc``)."""

from __future__ import annotations

from typing import Literal

WARDEN_MAJOR = 0x5744
"""Warden's qdisc major, "WD"."""
MIN_MINOR, MAX_MINOR = 2, 0xFFFD
"""The class minors a ``ShapeClass`` may use."""
ROOT = WARDEN_MAJOR << 16
PARENT = ROOT | 1
DEFAULT_MINOR = 0xFFFE
INGRESS = 0xFFFF_0000
REDIRECT_PRIO = WARDEN_MAJOR
ETH_P_ALL, ETH_P_IP, ETH_P_IPV6 = 0x0003, 0x0800, 0x86DD
MTU = 1600

Direction = Literal["down", "up"]


def class_id(minor: int) -> str:
    """A class handle as ``tc`` prints it (``5744:10``)."""
    return f"{WARDEN_MAJOR:x}:{minor:x}"
