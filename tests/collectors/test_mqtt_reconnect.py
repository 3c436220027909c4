"""The collector's connection comes back by itself: a broker that dies and restarts on the
same port is reconnected to (with backoff), subscribed again, and its messages flow again;
``broker_states`` tells what happened."""

from __future__ import annotations

from pathlib import Path

from collectors.mqtt import MqttCollector
from tests.collectors.conftest import Device, wait_until
from tests.collectors.mqtt_member import RecordingWriter, member_settings


def test_a_restarted_broker_is_reconnected_to_and_messages_flow_again(
    tmp_path: Path, broker_factory
) -> None:
    broker = broker_factory()
    writer = RecordingWriter()
    collector = MqttCollector(
        member_settings(tmp_path, broker.url, "warden-reconnect", None),
        writer,  # type: ignore[arg-type]
    )
    collector.start()
    try:
        link = collector.links[0]
        assert link.subscribed.wait(20)
        broker.stop()  # killed: the connection drops without a DISCONNECT
        wait_until(lambda: not collector.broker_states()[0]["connected"], what="the loss")

        again = broker_factory(port=broker.port)
        wait_until(lambda: collector.broker_states()[0]["connected"], timeout=30)
        assert link.subscribed.wait(20)
        sender = Device(again.host, again.port, "meter-after-restart")
        try:
            sender.publish("iot/meter-1/telemetry", b"after the restart")
            assert writer.wait_for(1)
        finally:
            sender.close()
        assert writer.payloads == [b"after the restart"]
        assert collector.broker_states()[0]["disconnects"] == 1
    finally:
        collector.stop()
