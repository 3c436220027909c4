"""`warden devices key`: a device's HTTP API key, shown once."""

from __future__ import annotations

from core.config import load_settings
from core.runtime import open_core
from core.services import apikeys


def _verify(data_dir, key, scope="telemetry"):
    core = open_core(load_settings(data_dir=data_dir))
    try:
        with core.db.writer() as session:
            return apikeys.verify_key(session=session, key=key, scope=scope, now=core.clock.now())
    finally:
        core.close()


def test_a_key_is_shown_once_with_a_warning(warden, data_dir):
    assert warden("devices", "add", "meter-1").exit_code == 0
    result = warden("devices", "key", "meter-1")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("wd_")
    assert "not shown again" in result.stderr
    assert _verify(data_dir, key).id == "meter-1"


def test_a_second_key_needs_rotate(warden, data_dir):
    warden("devices", "add", "meter-1")
    first = warden.json("devices", "key", "meter-1")
    refused = warden("devices", "key", "meter-1")
    assert refused.exit_code == 2
    assert "--rotate" in refused.stderr
    rotated = warden.json("devices", "key", "meter-1", "--rotate", "--scope", "logs")
    assert rotated["prefix"] == rotated["key"][:12] != first["prefix"]
    assert _verify(data_dir, rotated["key"], "logs").id == "meter-1"


def test_revoke(warden):
    warden("devices", "add", "meter-1")
    warden.json("devices", "key", "meter-1")
    assert warden.json("devices", "key", "meter-1", "--revoke") == {"revoked": 1}
    assert warden("devices", "key", "meter-1", "--rotate", "--revoke").exit_code == 2


def test_an_unknown_device_exits_2(warden):
    result = warden("devices", "key", "ghost")
    assert result.exit_code == 2
    assert "no device" in result.stderr
