"""Ports: what core needs from the outside world, implemented by the workers
(``collectors``, ``enforcement``) and faked in tests only below the level a test is about."""

from __future__ import annotations

from typing import Protocol

from core.clock import Clock

__all__ = ["Clock", "ConfigPublisher"]


class ConfigPublisher(Protocol):
    """Delivers a message to devices (the MQTT collector implements it)."""

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        """True once a broker has accepted the message; False when none could."""
        ...
