"""Where syslog listens and what an operator sees of its limits: by default the LAN
interface's address (else loopback), never every interface unless asked; `warden doctor`
says where and warns on 0.0.0.0; `warden stats` and /metrics count what was refused."""

from __future__ import annotations

import json
import socket

import pytest
from fastapi.testclient import TestClient

from collectors.syslog import listen_address
from core.config import load_settings
from core.runtime import open_core
from tests.cli.conftest import Warden
from tests.collectors.conftest import wait_until
from warden.agent import Agent
from web.api.app import create_app

LINE = b"<30>Feb 12 10:00:01 ap-1 hostapd: wlan0: STA aa:bb:cc:00:00:01 IEEE 802.11: associated"


@pytest.fixture
def warden(data_dir):
    return Warden(data_dir)


def doctor_syslog(warden, **env) -> dict:
    done = warden("doctor", "--json", env={"WARDEN_MQTT_URL": "mqtt://127.0.0.1:1", **env})
    return next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "syslog")


def addresses(**known):
    return lambda iface: known.get(iface)


@pytest.mark.parametrize(
    ("fields", "host", "why"),
    [
        ({}, "127.0.0.1", "neither WARDEN_SYSLOG_HOST nor WARDEN_LAN_IFACES is set"),
        ({"lan_ifaces": "br-lan"}, "192.168.1.1", "the address of LAN interface br-lan"),
        ({"lan_ifaces": "wg0,br-lan"}, "192.168.1.1", "the address of LAN interface br-lan"),
        ({"lan_ifaces": "wg0"}, "127.0.0.1", "no LAN interface (wg0) has an IPv4 address"),
        ({"lan_ifaces": "br-lan", "syslog_host": "10.0.0.2"}, "10.0.0.2", "WARDEN_SYSLOG_HOST"),
        ({"syslog_host": "0.0.0.0"}, "0.0.0.0", "WARDEN_SYSLOG_HOST"),  # noqa: S104
    ],
)
def test_the_listener_defaults_to_the_lan_address_not_every_interface(data_dir, fields, host, why):
    settings = load_settings(data_dir=data_dir, **fields)
    found = listen_address(settings, address_of=addresses(**{"br-lan": "192.168.1.1"}))
    assert (found.host, found.why) == (host, why)


def test_doctor_says_where_syslog_listens_and_warns_on_every_interface(warden):
    everywhere = doctor_syslog(warden, WARDEN_SYSLOG_HOST="0.0.0.0")  # noqa: S104
    assert everywhere["ok"] is False
    assert everywhere["detail"].startswith("listens on 0.0.0.0 udp/5514 tcp/5514")
    assert "every interface, the WAN too" in everywhere["detail"]

    default = doctor_syslog(warden)
    assert default["ok"] is False
    assert default["detail"].startswith("listens on 127.0.0.1 udp/5514 tcp/5514")
    assert "routers cannot reach it" in default["detail"]

    lan = doctor_syslog(warden, WARDEN_LAN_IFACES="lo", WARDEN_ENFORCEMENT="dry-run")
    assert lan["ok"] is False  # loopback is lo's address: still unreachable for routers
    assert "(the address of LAN interface lo)" in lan["detail"]

    chosen = doctor_syslog(warden, WARDEN_SYSLOG_HOST="192.0.2.7")
    assert (chosen["ok"], chosen["detail"]) == (
        True,
        "listens on 192.0.2.7 udp/5514 tcp/5514 (WARDEN_SYSLOG_HOST)",
    )
    off = doctor_syslog(warden, WARDEN_DISABLED_COLLECTORS="syslog")
    assert (off["ok"], off["detail"]) == (True, "disabled (not started)")


def test_the_agent_listens_on_the_lan_address_and_counts_what_it_refused(data_dir, warden):
    settings = load_settings(
        data_dir=data_dir,
        lan_ifaces="lo",  # its address is 127.0.0.1: a LAN interface every machine has
        enforcement="dry-run",
        disabled_collectors="mqtt",
        syslog_udp_port=0,
        syslog_tcp_port=0,
        syslog_rate_per_source=1,
        syslog_burst_per_source=5,
    )
    core = open_core(settings)
    agent = Agent(core)
    agent.start()
    try:
        assert agent.syslog is not None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for _ in range(50):
                udp.sendto(LINE, ("127.0.0.1", agent.syslog.udp_port))
        wait_until(
            lambda: agent.log_writer.stats().rate_limited + agent.log_writer.stored == 50,
            what="every line stored or refused",
        )
        assert agent.log_writer.stored <= 6
        state = agent.state()["syslog"]
        assert (state["host"], state["udp"]) == ("127.0.0.1", agent.syslog.udp_port)
        assert state["rate_limited"] == 50 - agent.log_writer.stored
        agent.heartbeat()
        shown = warden("stats")
        assert shown.exit_code == 0, shown.output
        assert f"127.0.0.1 udp/{agent.syslog.udp_port}" in shown.stdout
        assert f"{state['rate_limited']} lines dropped over per-source limits" in shown.stdout
        with TestClient(create_app(core)) as client:
            metrics = client.get("/metrics").text
        assert (
            f'warden_syslog_lines_dropped_total{{reason="rate_limited"}} '
            f"{float(state['rate_limited'])}" in metrics
        )
        assert 'warden_syslog_connections{kind="max"} 64.0' in metrics
    finally:
        agent.stop()
        core.close()
