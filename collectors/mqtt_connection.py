"""One connection to a broker as Warden uses gmqtt: what it acknowledges after a commit,
and the publishes it waits for (gmqtt offers no wait for a PUBACK of its own)."""

from __future__ import annotations

import asyncio
import ssl

import gmqtt
from gmqtt.storage import PersistentStorage

from core.config import Settings


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Verify the broker against the CA file (or the system's), and present the client
    certificate when one is configured."""
    context = ssl.create_default_context(
        cafile=str(settings.mqtt_ca_file) if settings.mqtt_ca_file else None
    )
    if settings.mqtt_cert_file:
        context.load_cert_chain(
            str(settings.mqtt_cert_file),
            str(settings.mqtt_key_file) if settings.mqtt_key_file else None,
        )
    return context


class PublishTracker(PersistentStorage):
    """gmqtt's store of outgoing QoS 1 packets, which also lets ``publish`` wait for the
    broker's PUBACK (gmqtt itself offers no such wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.last_mid = 0
        self.waiting: dict[int, asyncio.Future[None]] = {}

    def push_message(self, mid, raw_package):  # type: ignore[no-untyped-def]
        self.last_mid = mid
        super().push_message(mid, raw_package)

    def remove_message_by_mid(self, mid):  # type: ignore[no-untyped-def]
        super().remove_message_by_mid(mid)
        waiter = self.waiting.pop(mid, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class OneConnection(gmqtt.Client):
    """A gmqtt client for one connection: when it drops, ``BrokerLink`` makes a new one after
    a backoff, so gmqtt's own reconnect (a fixed delay) stays off."""

    async def reconnect(self, delay: bool = False) -> None:
        return None


class Connection:
    """One connection to a broker: what it acknowledges (the PUBACKs of its messages, once
    committed) and the publishes it waits for."""

    def __init__(self, client: OneConnection, tracker: PublishTracker) -> None:
        self.client = client
        self.tracker = tracker
        self.alive = True
        self.outstanding = 0
        """Messages handed to the writer and not settled yet."""
        self.settled = asyncio.Event()
        """Set whenever ``outstanding`` drops to 0 (a leaving share member waits on it)."""
        self.settled.set()
        self._loop = asyncio.get_running_loop()

    def hold(self) -> None:
        self.outstanding += 1
        self.settled.clear()

    def acknowledge(self, receipts: list[object]) -> None:
        """Called by the writer thread after a commit: one wake-up of the loop per batch.
        After the collector stopped there is no loop to wake: the broker redelivers."""
        if self._loop.is_closed():
            return
        try:
            self._loop.call_soon_threadsafe(self._settle, receipts)
        except RuntimeError:  # the loop closed in between
            return

    def _settle(self, receipts: list[object]) -> None:
        for future in receipts:
            assert isinstance(future, asyncio.Future)
            if future.done():
                continue
            self.outstanding -= 1
            if self.alive:
                future.set_result(0)  # gmqtt sends PUBACK with reason code 0 (success)
            else:
                future.cancel()  # gone: the broker redelivers on the next connection
        if self.outstanding <= 0:
            self.settled.set()
