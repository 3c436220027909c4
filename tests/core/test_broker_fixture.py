"""The ``broker`` fixture starts a real MQTT broker that later tests can talk to."""

from __future__ import annotations

import socket

MQTT_CONNECT = bytes(
    [
        *[0x10, 16],  # CONNECT, remaining length
        *[0x00, 0x04, *b"MQTT", 0x04, 0x02, 0x00, 0x3C],  # MQTT 3.1.1, clean session, 60 s
        *[0x00, 0x04, *b"test"],  # client id
    ]
)
CONNACK_ACCEPTED = bytes([0x20, 0x02, 0x00, 0x00])


def test_broker_accepts_an_mqtt_client(broker) -> None:  # type: ignore[no-untyped-def]
    assert broker.url == f"mqtt://127.0.0.1:{broker.port}"

    with socket.create_connection((broker.host, broker.port), timeout=5) as connection:
        connection.sendall(MQTT_CONNECT)
        reply = b""
        while len(reply) < 4:
            chunk = connection.recv(4 - len(reply))
            if not chunk:
                break
            reply += chunk

    assert reply == CONNACK_ACCEPTED
