"""The collector over TLS with a username and password, against a real mosquitto that
requires both: it verifies the broker against the configured CA, logs in, receives and
publishes; with a wrong password it stays disconnected (and keeps retrying)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collectors.mqtt import MqttCollector
from tests.collectors.conftest import wait_until
from tests.collectors.mqtt_member import RecordingWriter, member_settings
from tests.conftest import MOSQUITTO

USER, PASSWORD = "warden", "s3cret"


def _run(*argv: str, cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """mosquitto with a listener that needs TLS (a CA made here) and a password."""
    for tool in ("openssl", "mosquitto_passwd"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    ca = ("-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=warden-test-ca")
    _run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", *ca, cwd=tmp_path
    )
    server = ("-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", *server, cwd=tmp_path)
    (tmp_path / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    signed = ("-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-extfile", "ext.cnf")
    _run(
        "openssl", "x509", "-req", "-in", "server.csr", "-out", "server.crt", *signed, cwd=tmp_path
    )
    (tmp_path / "passwd").touch()
    _run("mosquitto_passwd", "-b", "passwd", USER, PASSWORD, cwd=tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "tls.conf").write_text(
        f"user root\nlistener {port} 127.0.0.1\ncafile {tmp_path / 'ca.crt'}\n"
        f"certfile {tmp_path / 'server.crt'}\nkeyfile {tmp_path / 'server.key'}\n"
        f"allow_anonymous false\npassword_file {tmp_path / 'passwd'}\n"
    )
    log = (tmp_path / "mosquitto.log").open("ab")
    broker = subprocess.Popen([MOSQUITTO, "-c", str(tmp_path / "tls.conf")], stdout=log, stderr=log)
    try:
        wait_until(lambda: _accepts(port) or broker.poll() is not None, what="mosquitto")
        assert broker.poll() is None, (tmp_path / "mosquitto.log").read_text()
        yield port, tmp_path / "ca.crt"
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        log.close()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _collector(
    tmp_path: Path, port: int, ca: Path, password: str
) -> tuple[MqttCollector, RecordingWriter]:
    settings = member_settings(
        tmp_path / password,
        f"mqtts://localhost:{port}",
        "warden-tls",
        None,
        mqtt_ca_file=str(ca),
        mqtt_username=USER,
        mqtt_password=password,
    )
    writer = RecordingWriter()
    return MqttCollector(settings, writer), writer  # type: ignore[arg-type]


def test_tls_and_a_password_let_the_collector_receive_and_publish(tmp_path, tls_broker) -> None:
    port, ca = tls_broker
    collector, writer = _collector(tmp_path, port, ca, PASSWORD)
    collector.start()
    device = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="meter-tls")
    try:
        assert collector.links[0].subscribed.wait(20)
        device.tls_set(ca_certs=str(ca))
        device.username_pw_set(USER, PASSWORD)
        device.connect("localhost", port)
        device.loop_start()
        device.publish("iot/meter-tls/telemetry", b"over TLS", qos=1).wait_for_publish(10)

        assert writer.wait_for(1)
        assert writer.payloads == [b"over TLS"]
        assert collector.publish("iot/meter-tls/command", b"{}") is True
    finally:
        device.disconnect()
        device.loop_stop()
        collector.stop()


def test_a_wrong_password_leaves_the_collector_disconnected(tmp_path, tls_broker) -> None:
    port, ca = tls_broker
    collector, _writer = _collector(tmp_path, port, ca, "wrong")
    collector.start()
    log = tmp_path / "mosquitto.log"
    try:
        wait_until(lambda: "not authorised" in log.read_text(), what="the broker's refusal")
        assert collector.broker_states()[0]["connected"] is False
        assert not collector.links[0].subscribed.is_set()
        assert collector.publish("iot/meter-tls/command", b"{}") is False
    finally:
        collector.stop()
