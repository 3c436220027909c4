"""`warden doctor` checks the InfluxDB mirror the way the mirror writes: a server that is
down, a token it refuses, and one that works, each said with what to fix."""

from __future__ import annotations

import json

from tests.cli.conftest import Warden
from tests.collectors.conftest import wait_until
from tests.conftest import _free_port
from tests.sinks.conftest import HOST


def _influx_check(warden: Warden, **env: str) -> dict:
    result = warden("doctor", "--json", env=env)
    assert result.exit_code == 0, result.output  # the mirror is optional: never fatal
    [check] = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "influx mirror"]
    return check


def test_doctor_says_the_mirror_accepts_writes(data_dir, victoria_factory):
    victoria = victoria_factory()
    check = _influx_check(Warden(data_dir), WARDEN_INFLUX_URL=victoria.url)
    assert check["ok"] is True
    assert "accepts writes" in check["detail"]
    # The server makes a write searchable shortly after it answered it: wait for it.
    wait_until(
        lambda: any(name.startswith("warden_probe") for name in victoria.export()),
        what="the probe point in the server",
    )


def test_doctor_says_a_refused_token_and_an_absent_server(data_dir, victoria_factory):
    victoria = victoria_factory(auth=True)
    refused = _influx_check(
        Warden(data_dir), WARDEN_INFLUX_URL=victoria.url, WARDEN_INFLUX_TOKEN="wrong"
    )
    assert refused["ok"] is False
    assert "unauthorized" in refused["detail"] and "WARDEN_INFLUX_TOKEN" in refused["detail"]
    down = _influx_check(Warden(data_dir), WARDEN_INFLUX_URL=f"http://{HOST}:{_free_port(HOST)}")
    assert down["ok"] is False and "unreachable" in down["detail"]


def test_without_a_mirror_doctor_does_not_mention_one(data_dir):
    result = Warden(data_dir)("doctor", "--json")
    assert "influx mirror" not in {c["name"] for c in json.loads(result.stdout)["checks"]}
