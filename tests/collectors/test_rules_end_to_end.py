"""Syslog in, findings out: the shipped rule packs running in a live agent."""

from __future__ import annotations

import socket

from core.services import findings
from tests.collectors.conftest import wait_until


def failure(second: int, ip: str = "192.168.1.50") -> bytes:
    return (
        f"<38>Feb 12 10:00:{second:02d} router dropbear[1234]: Bad password attempt for "
        f"'root' from {ip}:51234"
    ).encode()


def open_findings(core):
    with core.db.reader() as session:
        return findings.list_findings(session=session).items


def test_an_auth_failure_storm_becomes_one_finding_with_its_evidence(agent, agent_core):
    port = agent.syslog.udp_port

    def send(lines):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for line in lines:
                udp.sendto(line, ("127.0.0.1", port))

    send([failure(s) for s in range(4)])  # below the pack's threshold of 5
    wait_until(lambda: agent.log_writer.stored == 4, what="four lines stored")
    agent.rules.run()
    assert open_findings(agent_core) == []

    send([failure(4), failure(5, ip="10.0.0.9")])  # the fifth from .50; another address
    wait_until(lambda: agent.log_writer.stored == 6, what="six lines stored")
    agent.rules.run()
    (finding,) = open_findings(agent_core)
    assert finding.rule_id == "security.ssh-login-failures"
    assert (finding.key, finding.count, finding.severity) == ("192.168.1.50", 5, "high")
    assert len(finding.evidence) == 5
    assert "5 failed logins for root from 192.168.1.50" in finding.summary

    send([failure(s) for s in range(6, 12)])  # inside the cooldown: no second finding
    wait_until(lambda: agent.log_writer.stored == 12, what="twelve lines stored")
    agent.rules.run()
    (again,) = open_findings(agent_core)
    assert (again.id, again.count) == (finding.id, 5)


def psk_mismatch(second: int, mac: str = "3c:22:fb:12:34:56") -> bytes:
    line = (
        f"<30>Feb 12 10:01:{second:02d} ap-hall hostapd: wlan1: AP-STA-POSSIBLE-PSK-MISMATCH {mac}"
    )
    return f"{len(line)} {line}".encode()  # TCP, octet counting


def test_an_edited_rule_applies_live_and_its_playbook_proposes_an_action(agent, agent_core):
    """An operator lowers a threshold from another process's point of view (the stored
    rule), the running agent follows, and the finding comes with the shipped playbook's
    diagnostic, filled in from what the rule captured, waiting for approval."""
    from core.models import ActionState, Actor, Origin
    from core.services import actions
    from core.services.rules import RULES

    with agent_core.db.writer() as session:
        RULES.update(
            session=session,
            entry_id="wifi.auth-failures",
            changes={"threshold": 2},
            actor=Actor(name="ops", origin=Origin.CLI),
            now=agent_core.clock.now(),
        )
    agent.rules.run()  # the next pass reloads the stored rules

    with socket.create_connection(("127.0.0.1", agent.syslog.tcp_port)) as tcp:
        tcp.sendall(psk_mismatch(0) + psk_mismatch(1))
    wait_until(lambda: agent.log_writer.stored == 2, what="two lines stored")
    agent.rules.run()
    (finding,) = open_findings(agent_core)
    assert (finding.rule_id, finding.key, finding.count) == (
        "wifi.auth-failures",
        "3c:22:fb:12:34:56",
        2,
    )
    with agent_core.db.reader() as session:
        (action,) = actions.list_actions(
            session=session, reader=Actor.system(), finding_id=finding.id
        ).items
    assert (action.playbook_id, action.state) == (
        "wifi.auth-failures-station",
        ActionState.PROPOSED,
    )
    assert action.steps[0]["argv"] == ["iw", "dev", "wlan1", "station", "get", "3c:22:fb:12:34:56"]
    assert agent.actions.run_approved() == 0  # nothing runs before an operator says so
