"""`warden logs send` into a running collector, `warden logs query` out of the database."""

import json

from tests.collectors.conftest import wait_until

LINES = (
    "<38>Feb 12 10:00:02 router dropbear[1234]: Bad password attempt for 'root' from "
    "192.168.1.50:51234\n"
    "<30>Feb 12 10:00:03 router dnsmasq-dhcp[1789]: DHCPACK(br-lan) 192.168.1.100 "
    "aa:bb:cc:dd:ee:ff camera-1\n"
)


def test_send_over_udp_and_tcp_then_query(warden, syslog_collector):
    collector, writer = syslog_collector
    udp = warden("logs", "send", "--port", str(collector.udp_port), input=LINES)
    assert udp.exit_code == 0, udp.output
    tcp = warden("logs", "send", "--tcp", "--port", str(collector.tcp_port), input=LINES)
    assert tcp.exit_code == 0, tcp.output
    wait_until(lambda: writer.stored == 4, what="four lines stored")

    everything = "2000-01-01T00:00:00Z"
    auth = json.loads(
        warden("logs", "query", "--class", "auth", "--since", everything, "--json").output
    )
    assert [(r["app"], r["source"]) for r in sorted(auth, key=lambda r: r["source"])] == [
        ("dropbear", "tcp"),
        ("dropbear", "udp"),
    ]
    table = warden("logs", "query", "--app", "dnsmasq-dhcp", "--since", everything)
    assert "DHCPACK(br-lan) 192.168.1.100" in table.output
    assert warden("logs", "query", "--class", "nonsense").exit_code == 2


def test_rules_list_and_test_replay_stored_logs(warden, syslog_collector):
    collector, writer = syslog_collector
    storm = "".join(
        f"<38>Feb 12 10:00:{s:02d} router dropbear[9]: Bad password attempt for 'root' "
        f"from 192.168.1.50:5{s:04d}\n"
        for s in range(6)
    )
    assert warden("logs", "send", "--port", str(collector.udp_port), input=storm).exit_code == 0
    wait_until(lambda: writer.stored == 6, what="six lines stored")

    listed = warden.json("rules", "list")
    assert "security.ssh-login-failures" in {r["id"] for r in listed}
    replayed = warden.json(
        "rules", "test", "security.ssh-login-failures", "--since", "2000-01-01T00:00:00Z"
    )
    assert (replayed["lines"], replayed["matched"]) == (6, 6)
    assert [f["count"] for f in replayed["firings"]] == [5]
    quiet = warden.json("rules", "test", "health.oom-killer", "--since", "2000-01-01T00:00:00Z")
    assert quiet["firings"] == []
    assert warden("rules", "test", "no.such-rule").exit_code == 2
