"""One device's connection to one broker: a paho client with its own last will, driven by the
reactor, reconnecting with backoff, counting its unacknowledged QoS 1/2 messages."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from simulator.reactor import Reactor, Timer

log = logging.getLogger(__name__)

KEEPALIVE_S = 30
CONNECT_TIMEOUT_S = 2.0
MAX_INFLIGHT = 100
"""QoS 1/2 messages paho writes before waiting for acknowledgements (its default is 20)."""
BACKOFF_FIRST_S = 0.2
BACKOFF_MAX_S = 5.0


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(text: str) -> BrokerUrl:
    """``mqtt://host[:1883]`` or ``mqtts://[user:pass@]host[:8883]``; ``ValueError`` otherwise."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"broker URL {text!r} must start with mqtt:// or mqtts://")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError as exc:
        raise ValueError(f"broker URL {text!r} has a bad port") from exc
    if not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"broker URL {text!r} must be mqtt://host:port")
    return BrokerUrl(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Link:
    """A paho client for one (device, broker) pair.

    ``on_up`` runs after every successful connect, ``on_down`` once the link is closed for
    good (after ``close`` or ``cut``), ``on_command`` for each message on the subscribed topic.
    """

    def __init__(
        self,
        *,
        reactor: Reactor,
        broker: BrokerUrl,
        client_id: str,
        will: tuple[str, bytes] | None,
        subscribe: str | None,
        on_up: Callable[[Link], None],
        on_down: Callable[[Link], None],
        on_command: Callable[[bytes], None],
    ) -> None:
        self.reactor = reactor
        self.broker = broker
        self.connected = False
        self.closed = False
        self.unacked: set[int] = set()
        self._subscribe = subscribe
        self._on_up = on_up
        self._on_down = on_down
        self._on_command = on_command
        self._closing = False
        self._backoff = BACKOFF_FIRST_S
        self._retry: Timer | None = None
        self._complained = False
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
        )
        client.connect_timeout = CONNECT_TIMEOUT_S
        client.max_inflight_messages_set(MAX_INFLIGHT)
        if will is not None:
            client.will_set(will[0], will[1], qos=1, retain=True)
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set()
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._message
        client.on_publish = self._published
        reactor.adopt(client)
        self.client = client

    def open(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=KEEPALIVE_S)
        self._attempt()

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> bool:
        """Hand one message to paho; False when this link is down."""
        if not self.connected:
            return False
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN):
            return False
        if qos:
            self.unacked.add(info.mid)
        return True

    def close(self) -> None:
        """Disconnect cleanly (no last will); ``on_down`` follows."""
        self._closing = True
        if self._retry is not None:
            self._retry.cancel()
        if self.connected:
            self.client.disconnect()
        elif self.client.socket() is not None:
            self._shutdown()  # still connecting: nothing to say, just hang up
        else:
            self._finish()

    def cut(self) -> None:
        """Drop the TCP connection without DISCONNECT, as a power cut does: the broker
        publishes the last will. ``on_down`` follows."""
        self._closing = True
        if self._retry is not None:
            self._retry.cancel()
        self._shutdown()

    def _shutdown(self) -> None:
        sock = self.client.socket()
        if sock is None:
            self._finish()
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)  # paho reads EOF next round and closes it
        except OSError:
            self._finish()

    # ---------------------------------------------------------------- paho callbacks

    def _attempt(self) -> None:
        self._retry = None
        if self._closing:
            return
        try:
            self.client.reconnect()
        except (OSError, ValueError) as exc:
            if not self._complained:
                log.warning("cannot reach broker %s: %s (retrying)", self.broker, exc)
                self._complained = True
            self._schedule_retry()

    def _schedule_retry(self) -> None:
        self._retry = self.reactor.call_later(self._backoff, self._attempt)
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)

    def _connected(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.broker, reason)
            return  # the broker closes the socket; _disconnected retries
        if self._complained:
            log.info("broker %s reachable again", self.broker)
            self._complained = False
        self.connected = True
        self._backoff = BACKOFF_FIRST_S
        if self._subscribe is not None:
            client.subscribe(self._subscribe, qos=1)
        self._on_up(self)

    def _disconnected(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, _reason: Any, _props: Any
    ) -> None:
        self.connected = False
        if self._closing:
            self._finish()
        elif self._retry is None:
            self._schedule_retry()

    def _message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._on_command(message.payload)

    def _published(
        self, _client: mqtt.Client, _userdata: Any, mid: int, _reason: Any, _props: Any
    ) -> None:
        self.unacked.discard(mid)

    def _finish(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.connected = False
        self.reactor.release(self.client)
        self._on_down(self)
