"""The MQTT collector: one client per configured broker, all feeding one writer.

Each client keeps a persistent session (fixed client id, clean start false, session expiry
from the settings) and subscribes at QoS 1, so the broker keeps what arrives while Warden is
down. Messages are acknowledged after their batch is committed, never on receipt
(``collectors.mqtt_link``). With ``WARDEN_MQTT_SHARE_GROUP`` the subscriptions are shared
(``$share/GROUP/...``): the broker hands each message to one agent of the group. Members
keep their persistent session too, because mosquitto 2 does not hand a dead member's
unacknowledged messages to the others (docs/mqtt.md has the experiment).

All links run on one asyncio loop in one thread (``mqtt-receive``): receiving is cheap
there, and one thread blocked on the writer's full queue stops every socket read at once
(back-pressure).

Broker limits this depends on (see docs/mqtt.md): Mosquitto drops QoS 1 messages beyond
``max_queued_messages`` (default 1 000) for a client that is away or merely slow, so a
production broker needs it raised, e.g. ``max_queued_messages 1000000``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading

from collectors.mqtt_link import PUBLISH_TIMEOUT_S, BrokerLink, BrokerState
from core.clock import Clock
from core.config import Settings
from core.pipeline.writer import IngestWriter

log = logging.getLogger(__name__)

THREAD_NAME = "mqtt-receive"
STOP_TIMEOUT_S = 10.0

__all__ = ["THREAD_NAME", "BrokerLink", "BrokerState", "MqttCollector"]


class MqttCollector:
    """All broker links of this process, on one event loop thread."""

    def __init__(self, settings: Settings, writer: IngestWriter, clock: Clock | None = None):
        self.links = [BrokerLink(b, settings, writer) for b in settings.mqtt_brokers]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runs: list[concurrent.futures.Future[None]] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_about_withheld_acks)
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=THREAD_NAME, daemon=True)
        self._thread.start()
        self._runs = [asyncio.run_coroutine_threadsafe(link.run(), loop) for link in self.links]

    def stop(self) -> None:
        """Disconnect from every broker. What was not acknowledged yet is redelivered by the
        broker to the next session."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        for link in self.links:
            asyncio.run_coroutine_threadsafe(link.stop(), loop)
        for run in self._runs:
            try:
                run.result(timeout=STOP_TIMEOUT_S)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                log.warning("an MQTT link did not stop within %.0f s", STOP_TIMEOUT_S)
            except Exception:
                log.exception("an MQTT link failed")
        ended = asyncio.run_coroutine_threadsafe(_cancel_the_rest(), loop)
        try:
            ended.result(timeout=STOP_TIMEOUT_S)
        except concurrent.futures.TimeoutError:  # the loop is blocked on a full writer queue
            log.warning("the MQTT receive loop did not stop within %.0f s", STOP_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STOP_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None

    def broker_states(self) -> list[dict]:
        return [
            {
                "url": s.url,
                "connected": s.connected,
                "since_ms": s.since_ms,
                "received": s.received,
                "disconnects": s.disconnects,
            }
            for s in (link.state for link in self.links)
        ]

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        """Publish through the first connected broker (a device listens on all of them) and
        wait until it has the message. Called from other threads (jobs, consoles), never
        from the receive loop."""
        loop = self._loop
        if loop is None:
            return False
        if threading.current_thread() is self._thread:
            raise RuntimeError("MqttCollector.publish would block its own receive loop")
        with self._lock:
            for link in self.links:
                sent = asyncio.run_coroutine_threadsafe(link.publish(topic, payload, qos), loop)
                try:
                    if sent.result(timeout=PUBLISH_TIMEOUT_S + 1):
                        return True
                except concurrent.futures.TimeoutError:
                    sent.cancel()
            return False


async def _cancel_the_rest() -> None:
    """End the tasks still waiting for a commit (their messages come again from the broker)."""
    current = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not current]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def _quiet_about_withheld_acks(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """A message whose connection is gone has its commit future cancelled, so gmqtt's
    "send the PUBACK" callback meets a CancelledError: that is the acknowledgement withheld
    on purpose (the broker redelivers), not an error. Everything else is reported."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)
