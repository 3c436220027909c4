"""The MQTT collector: one paho client per configured broker, all feeding one writer.

Each client keeps a persistent session (fixed client id, clean start false, session expiry
from the settings) and subscribes at QoS 1, so the broker keeps what arrives while Warden is
down. Messages are acknowledged by the writer after their batch is committed
(``manual_ack=True``), never by paho on receipt.

Broker limits this depends on (see docs/mqtt.md): Mosquitto drops QoS 1 messages beyond
``max_queued_messages`` (default 1 000) for a client that is away or merely slow, so a
production broker needs it raised, e.g. ``max_queued_messages 1000000``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from core.clock import Clock, SystemClock
from core.config import BrokerAddress, Settings
from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.protocol import subscription_topics

log = logging.getLogger(__name__)

KEEPALIVE_S = 30
PUBLISH_TIMEOUT_S = 5.0


@dataclass
class BrokerState:
    url: str
    connected: bool = False
    since_ms: int = 0
    received: int = 0
    disconnects: int = 0


class BrokerLink:
    """One broker: its paho client, its connection state, its subscriptions."""

    def __init__(
        self, broker: BrokerAddress, settings: Settings, writer: IngestWriter, clock: Clock
    ) -> None:
        self.broker = broker
        self.state = BrokerState(url=broker.url)
        self._settings = settings
        self._writer = writer
        self._clock = clock
        self._ever_connected = False
        self._stopping = False
        self._v5 = settings.mqtt_protocol == "5"
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=settings.mqtt_client_id,
            protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311,
            # MQTT 3.1.1 asks for the persistent session here, MQTT 5 at connect.
            clean_session=None if self._v5 else False,
            manual_ack=True,
        )
        if settings.mqtt_username:
            password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
            client.username_pw_set(settings.mqtt_username, password)
        if broker.tls:
            client.tls_set(
                ca_certs=str(settings.mqtt_ca_file) if settings.mqtt_ca_file else None,
                certfile=str(settings.mqtt_cert_file) if settings.mqtt_cert_file else None,
                keyfile=str(settings.mqtt_key_file) if settings.mqtt_key_file else None,
            )
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client

    def start(self) -> None:
        if self._v5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self._settings.mqtt_session_expiry_s
            self.client.connect_async(
                self.broker.host,
                self.broker.port,
                keepalive=KEEPALIVE_S,
                clean_start=False,
                properties=properties,
            )
        else:
            self.client.connect_async(self.broker.host, self.broker.port, keepalive=KEEPALIVE_S)
        self.client.loop_start()

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    # paho callbacks, on the client's network thread ------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.warning("broker %s refused the connection: %s", self.broker.url, reason_code)
            return
        self.state.connected = True
        self.state.since_ms = int(time.time() * 1000)
        log.info(
            "%s broker %s (session %s)",
            "reconnected to" if self._ever_connected else "connected to",
            self.broker.url,
            "resumed" if flags.session_present else "new",
        )
        self._ever_connected = True
        topics = subscription_topics(self._settings.mqtt_prefix) + [
            flat.pattern for flat in self._settings.flat_topics
        ]
        if self._v5:
            # Retained messages only for a new subscription: a resumed session has seen them.
            options = SubscribeOptions(
                qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB
            )
            client.subscribe([(t, options) for t in topics])
        else:
            client.subscribe([(t, 1) for t in topics])

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if self.state.connected and not self._stopping:
            log.warning(
                "lost broker %s (%s); reconnecting with backoff", self.broker.url, reason_code
            )
            self.state.disconnects += 1
        self.state.connected = False
        self.state.since_ms = int(time.time() * 1000)

    def _on_message(self, client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        self.state.received += 1
        qos = message.qos
        mid = message.mid
        self._writer.submit(
            RawMessage(
                topic=message.topic,
                payload=message.payload,
                received_ms=int(time.time() * 1000),
                retained=bool(message.retain),
                ack=(lambda: client.ack(mid, qos)) if qos else None,
            )
        )

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        """Publish and wait until the broker has it. False when not connected or too slow."""
        if not self.state.connected:
            return False
        info = self.client.publish(topic, payload, qos=qos)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        try:
            info.wait_for_publish(timeout=PUBLISH_TIMEOUT_S)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()


class MqttCollector:
    """All broker links of this process."""

    def __init__(self, settings: Settings, writer: IngestWriter, clock: Clock | None = None):
        clock = clock or SystemClock()
        self.links = [BrokerLink(b, settings, writer, clock) for b in settings.mqtt_brokers]
        self._lock = threading.Lock()

    def start(self) -> None:
        for link in self.links:
            link.start()

    def stop(self) -> None:
        for link in self.links:
            link.stop()

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
        """Publish through the first connected broker (a device listens on all of them)."""
        with self._lock:
            return any(link.publish(topic, payload, qos) for link in self.links)
