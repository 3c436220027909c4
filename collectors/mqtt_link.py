"""One broker: a gmqtt client per connection, kept up with backoff, feeding the writer.

Why gmqtt and not paho for receiving (measured in docs/benchmarks.md): gmqtt reads up to
64 KiB per wake-up of its asyncio loop and parses every packet in it, where paho reads one
packet per ``select`` (four ``recv`` calls each) and builds a properties object per MQTT 5
message; a bare gmqtt QoS 1 subscriber spends about a third of paho's CPU per message.

How a message is acknowledged only after its commit, with gmqtt's public API: with
``optimistic_acknowledgement=False`` gmqtt runs an async ``on_message`` as a task and sends
the PUBACK when it returns. Ours hands the message to the writer and awaits a future; the
writer resolves the futures of a committed batch in one ``call_soon_threadsafe`` (one
wake-up of this loop per batch, not per message). Messages are never serialised: each has
its own task, all of one socket read reach the writer in one ``submit_many``.

A connection that is gone acknowledges nothing more: the futures of its messages are
cancelled, the broker redelivers them on the next connection (clean start false keeps the
session), and the judge drops the copies it already stored by ``(device, boot, seq)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass

import gmqtt
from gmqtt.mqtt.constants import MQTTv50, MQTTv311
from gmqtt.mqtt.handler import MQTTConnectError

from collectors.mqtt_connection import Connection, OneConnection, PublishTracker, tls_context
from core.config import BrokerAddress, Settings
from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.protocol import subscription_topics

log = logging.getLogger(__name__)

KEEPALIVE_S = 30
PUBLISH_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 10.0
BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0
LEAVE_TIMEOUT_S = 10.0
"""How long a share-group member that stops waits for the writer to commit what it holds."""
LEAVE_QUIET_S = 1.0
"""After its last message is acknowledged, how long a leaving member waits for what the
broker had queued for it before it disconnects."""
RETAIN_SEND_IF_NEW_SUB = 1
"""MQTT 5 retain handling 1: retained messages only for a new subscription (a resumed session
has seen them)."""


@dataclass
class BrokerState:
    url: str
    connected: bool = False
    since_ms: int = 0
    received: int = 0
    disconnects: int = 0


def subscribed_topics(settings: Settings) -> list[str]:
    """The topic filters Warden subscribes to: the device protocol's and the flat ones, each
    as ``$share/GROUP/...`` when ``WARDEN_MQTT_SHARE_GROUP`` is set (the broker then hands
    each message to one member of the group)."""
    topics = subscription_topics(settings.mqtt_prefix) + [f.pattern for f in settings.flat_topics]
    group = settings.mqtt_share_group
    return [f"$share/{group}/{t}" for t in topics] if group else topics


class BrokerLink:
    """One broker: its connection state, subscriptions, receive path and publishing."""

    def __init__(self, broker: BrokerAddress, settings: Settings, writer: IngestWriter) -> None:
        self.broker = broker
        self.state = BrokerState(url=broker.url)
        self.subscribed = threading.Event()
        """Set once the current connection's subscriptions are acknowledged (tests, bench)."""
        self._settings = settings
        self._writer = writer
        self._v5 = settings.mqtt_protocol == "5"
        self._ssl = tls_context(settings) if broker.tls else False
        self._ever_connected = False
        self._stopping = False
        self._connection: Connection | None = None
        self._lost = asyncio.Event()
        self._wake = asyncio.Event()
        self._arrived: list[RawMessage] = []

    # -- the connection, kept up with backoff -------------------------------------------

    async def run(self) -> None:
        """Connect, and reconnect with exponential backoff (1 s … 30 s) until stopped."""
        delay = BACKOFF_MIN_S
        failing_since_logged = False
        while not self._stopping:
            connection = self._new_connection()
            self._lost.clear()
            try:
                await asyncio.wait_for(self._connect(connection.client), CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, MQTTConnectError) as exc:
                if not failing_since_logged:  # once per outage, not once per try
                    log.warning(
                        "broker %s cannot be reached or refused the connection (%s); "
                        "retrying with backoff",
                        self.broker.url,
                        exc,
                    )
                    failing_since_logged = True
                await self._close(connection)
                await self._pause(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            delay = BACKOFF_MIN_S
            failing_since_logged = False
            await self._lost.wait()
            await self._close(connection)
            if not self._stopping:
                await self._pause(delay)

    def _new_connection(self) -> Connection:
        settings = self._settings
        session = {"session_expiry_interval": settings.mqtt_session_expiry_s} if self._v5 else {}
        tracker = PublishTracker()
        client = OneConnection(
            settings.mqtt_client_id,
            clean_session=False,  # MQTT 5: clean start false; 3.1.1: a persistent session
            optimistic_acknowledgement=False,
            persistent_storage=tracker,
            **session,
        )
        if settings.mqtt_username:
            password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
            client.set_auth_credentials(settings.mqtt_username, password)
        connection = Connection(client, tracker)
        client.on_connect = lambda c, flags, rc, props: self._on_connect(connection, flags)
        client.on_disconnect = lambda c, packet, exc=None: self._on_disconnect(connection)
        client.on_subscribe = lambda c, mid, qos, props: self.subscribed.set()
        client.on_message = self._message_handler(connection)
        return connection

    async def _connect(self, client: OneConnection) -> None:
        await client.connect(
            self.broker.host,
            self.broker.port,
            ssl=self._ssl,
            keepalive=KEEPALIVE_S,
            version=MQTTv50 if self._v5 else MQTTv311,
        )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):  # the backoff is over
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _close(self, connection: Connection) -> None:
        if not connection.alive and connection is self._connection:
            return  # the broker or the network closed it already
        try:
            await connection.client.disconnect()
        except Exception:  # closing a connection that is already gone
            log.debug("closing the connection to %s", self.broker.url, exc_info=True)

    async def stop(self) -> None:
        self._stopping = True
        connection = self._connection
        if self._settings.mqtt_share_group and connection is not None and connection.alive:
            await self._leave_share_group(connection)
        self._wake.set()
        self._lost.set()

    async def _leave_share_group(self, connection: Connection) -> None:
        """Leave the share group so the other members take the whole traffic at once.

        Mosquitto keeps queueing an absent member's share for its persistent session, and
        never hands a session's unacknowledged messages to another member (docs/mqtt.md), so
        a member that simply disconnected would sit on its share until it returns. Instead:
        unsubscribe (the broker stops choosing this session), let the writer commit and
        acknowledge what this member holds, wait a quiet moment for what the broker had
        already queued, then disconnect. The session is kept: whatever still arrived
        unacknowledged comes back to this agent when it returns, nothing is dropped."""
        connection.client.unsubscribe(subscribed_topics(self._settings))
        while True:
            try:
                await asyncio.wait_for(connection.settled.wait(), LEAVE_TIMEOUT_S)
            except TimeoutError:
                log.warning(
                    "broker %s: %d message(s) not committed within %.0f s; they come back "
                    "to this agent when it returns",
                    self.broker.url,
                    connection.outstanding,
                    LEAVE_TIMEOUT_S,
                )
                return
            received = self.state.received
            await asyncio.sleep(LEAVE_QUIET_S)  # what the session's queue still sends
            if connection.outstanding == 0 and self.state.received == received:
                break
        log.info("left share group %s on %s", self._settings.mqtt_share_group, self.broker.url)

    # -- gmqtt callbacks, on the loop -----------------------------------------------------

    def _on_connect(self, connection: Connection, session_present: int) -> None:
        self.subscribed.clear()  # before ``connected``: a watcher must not see the old one
        self._connection = connection
        self.state.connected = True
        self.state.since_ms = int(time.time() * 1000)
        log.info(
            "%s broker %s (session %s)",
            "reconnected to" if self._ever_connected else "connected to",
            self.broker.url,
            "resumed" if session_present else "new",
        )
        self._ever_connected = True
        options = {"retain_handling_options": RETAIN_SEND_IF_NEW_SUB} if self._v5 else {}
        connection.client.subscribe(
            [gmqtt.Subscription(t, qos=1, **options) for t in subscribed_topics(self._settings)]
        )

    def _on_disconnect(self, connection: Connection) -> None:
        connection.alive = False
        if connection is self._connection:
            if self.state.connected and not self._stopping:
                log.warning("lost broker %s; reconnecting with backoff", self.broker.url)
                self.state.disconnects += 1
            self.state.connected = False
            self.state.since_ms = int(time.time() * 1000)
        self._lost.set()

    def _message_handler(self, connection: Connection):  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()

        async def on_message(client, topic, payload, qos, properties) -> int:  # type: ignore[no-untyped-def]
            if isinstance(topic, bytes):  # not UTF-8: the judge makes it a dead letter
                topic = topic.decode("utf-8", errors="replace")
            raw = RawMessage(
                topic=topic,
                payload=payload,
                received_ms=int(time.time() * 1000),
                retained=bool(properties.get("retain")),
            )
            self.state.received += 1
            if not qos:
                self._hand_over(raw)
                return 0
            committed: asyncio.Future[int] = loop.create_future()
            raw.acknowledger = connection
            raw.receipt = committed
            connection.hold()
            self._hand_over(raw)
            return await committed

        return on_message

    def _hand_over(self, raw: RawMessage) -> None:
        """Gather what this wake-up of the loop brought; one ``submit_many`` takes it all."""
        if not self._arrived:
            asyncio.get_running_loop().call_soon(self._flush)
        self._arrived.append(raw)

    def _flush(self) -> None:
        arrived, self._arrived = self._arrived, []
        # Blocks while the writer's queue is full: the loop stops reading (back-pressure).
        self._writer.submit_many(arrived)

    # -- publishing -------------------------------------------------------------------------

    async def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        """Publish and wait until the broker has it. False when not connected or too slow."""
        connection = self._connection
        if connection is None or not connection.alive or not self.state.connected:
            return False
        connection.client.publish(topic, payload, qos=qos)
        if not qos:
            return True
        mid = connection.tracker.last_mid
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        connection.tracker.waiting[mid] = acked
        try:
            await asyncio.wait_for(acked, PUBLISH_TIMEOUT_S)
        except TimeoutError:
            connection.tracker.waiting.pop(mid, None)
            return False
        return True
