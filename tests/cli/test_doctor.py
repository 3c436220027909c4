"""`warden doctor` tells the truth about this machine."""

import json
import shutil
import socket

import pytest

from warden.enforcement import has_net_admin


@pytest.fixture
def free_port():
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _by_name(report):
    return {c["name"]: c for c in report["checks"]}


def test_doctor_reports_a_reachable_broker_and_a_writable_data_dir(warden, broker):
    result = warden("doctor", "--json", env={"WARDEN_MQTT_URL": broker.url})
    assert result.exit_code == 0, result.output
    checks = _by_name(json.loads(result.stdout))
    assert checks[f"broker {broker.url}"]["ok"] is True
    assert checks["data_dir"]["ok"] is True
    assert checks["database"]["ok"] is True
    assert checks["tc"]["ok"] is (shutil.which("tc") is not None)
    assert checks["nft"]["ok"] is (shutil.which("nft") is not None)


def test_doctor_reports_an_unreachable_broker(warden, free_port):
    url = f"mqtt://127.0.0.1:{free_port}"
    result = warden("doctor", "--json", env={"WARDEN_MQTT_URL": url})
    checks = _by_name(json.loads(result.stdout))
    assert checks[f"broker {url}"]["ok"] is False
    assert result.exit_code == 0  # a missing broker is not fatal for warden itself


def test_doctor_fails_when_the_data_dir_cannot_be_made(warden, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = warden("doctor", "--json", env={"WARDEN_DATA_DIR": str(blocker / "sub")})
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert _by_name(report)["data_dir"]["ok"] is False


def test_net_admin_is_read_from_the_effective_set_in_proc_status(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapInh:\t0000000000001000\nCapEff:\t0000000000001000\n")
    assert has_net_admin(status) is True
    status.write_text("Name:\tx\nCapInh:\t0000000000001000\nCapEff:\t0000000000000000\n")
    assert has_net_admin(status) is False
    status.write_text("Name:\tx\n")
    assert has_net_admin(status) is False


def test_doctor_says_when_a_local_broker_would_drop_queued_messages(warden, broker, tmp_path):
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"pid_file /run/mosquitto.pid\ninclude_dir {conf_d}\n")
    env = {"WARDEN_MQTT_URL": broker.url, "WARDEN_MQTT_BROKER_CONFIG": str(config)}

    stock = _by_name(json.loads(warden("doctor", "--json", env=env).stdout))
    queues = stock[f"broker {broker.url} queues"]
    assert queues["ok"] is False
    assert "max_queued_messages is 1000 (the default)" in queues["detail"]
    assert "persistence is off" in queues["detail"]
    assert "docs/mqtt.md" in queues["detail"]

    (conf_d / "warden.conf").write_text("persistence true\nmax_queued_messages 1000000\n")
    tuned = _by_name(json.loads(warden("doctor", "--json", env=env).stdout))
    assert tuned[f"broker {broker.url} queues"]["ok"] is True
    text = warden("doctor", env=env).output
    assert "max_queued_messages 1000000" in text


def test_doctor_cannot_read_a_remote_brokers_settings_and_says_so(warden):
    url = "mqtt://192.0.2.10:1883"
    checks = _by_name(json.loads(warden("doctor", "--json", env={"WARDEN_MQTT_URL": url}).stdout))
    assert checks[f"broker {url} queues"]["ok"] is False
    assert "cannot be read from here" in checks[f"broker {url} queues"]["detail"]
