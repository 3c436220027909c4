"""Diagnostics through `warden playbooks set` and `warden actions`: a step names a fixed
template and typed parameters; an argument vector, an unknown template, a parameter that is
not what its type promises or a placeholder that does not fit are refused with the reason;
what an approved action runs is built from the template alone, checked again when it runs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlmodel import select

from core.clock import to_ms
from core.config import load_settings
from core.models import Action
from core.runtime import Core, open_core
from core.services import devices, findings
from enforcement import notifier
from enforcement.action_runner import ActionRunner, ProgramResult
from tests.factories import EPOCH_2026
from warden.catalog import sync_catalog

PLAYBOOK = "iot.offline-reachability"


@contextlib.contextmanager
def seeding(data_dir: Path) -> Iterator[Core]:
    core = open_core(load_settings(data_dir=data_dir))
    try:
        yield core
    finally:
        core.close()


def set_steps(warden, steps: str):
    return warden("playbooks", "set", PLAYBOOK, f"steps={steps}")


def shown_steps(warden) -> list[dict]:
    return warden.json("playbooks", "show", PLAYBOOK)["steps"]


# Every one of these was accepted before: the program was allow-listed, its arguments not.
HOSTILE_ARGV = [
    "[ip, -force, -batch, /etc/shadow]",
    "[ip, netns, exec, x, sh, -c, 'cat /etc/shadow']",
    "[nft, flush, ruleset]",
    "[ip, link, set, lo, down]",
    "[dig, -f, /etc/shadow]",
]


@pytest.mark.parametrize("argv", HOSTILE_ARGV)
def test_an_argument_vector_is_refused_and_the_message_says_what_to_write(warden, argv):
    before = shown_steps(warden)
    refused = set_steps(warden, f"[{{kind: diagnostic, argv: {argv}}}]")
    assert refused.exit_code == 2
    assert "argv is not accepted" in refused.stderr
    assert "template: ping_device" in refused.stderr  # how to say it instead
    assert shown_steps(warden) == before


# (params of the step, words the refusal must contain)
HOSTILE_TEMPLATES = [
    ("template: nft_flush", "unknown diagnostic template 'nft_flush'"),
    ("template: dns_lookup, params: {name: '-f/etc/shadow'}", "is not a host name"),
    ("template: dns_lookup, params: {name: '+short'}", "is not a host name"),
    ("template: interface_status, params: {interface: 'lo down'}", "is not an interface name"),
    ("template: ping_device, params: {ip: '{ip}', count: 100000}", "count: 100000 is not"),
    ("template: ping_device, params: {ip: '{ip}', flags: '-f'}", "unknown parameter 'flags'"),
    ("template: ping_device, params: {ip: '-I{interface}'}", "exactly one placeholder"),
    ("template: ping_device, params: {ip: '{mac}'}", "takes {ip}"),
    ("template: ping_device, params: {}", "needs ip"),
    ("template: neighbours, params: {interface: '{summary}'}", "{summary} is free text"),
    ("template: route_to, params: {ip: '10.0.0.1; reboot'}", "is not an IP address"),
]


@pytest.mark.parametrize(("step", "words"), HOSTILE_TEMPLATES)
def test_a_template_parameter_that_is_not_what_its_type_promises_is_refused(warden, step, words):
    refused = set_steps(warden, f"[{{kind: diagnostic, {step}}}]")
    assert refused.exit_code == 2, refused.output
    assert words in refused.stderr


def raise_offline(core: Core, device_id: str, ip: str) -> findings.FindingPublic:
    with core.db.writer() as session:
        devices.record_seen(session=session, device_id=device_id, seen_at=EPOCH_2026)
    with core.db.writer() as session:
        return findings.raise_finding(
            session=session,
            now=core.clock.now(),
            firing=findings.FindingIn(
                rule_id="iot.device-offline",
                severity="medium",
                key=device_id,
                device_id=device_id,
                ts_ms=to_ms(EPOCH_2026),
                summary=f"{device_id} offline",
                details={"captures": {"ip": ip}},
            ),
        )


class Programs:
    """Stands in for the programs (ping is not installed everywhere): records each
    argument vector the runner would start."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], timeout_s: int) -> ProgramResult:
        self.calls.append(list(argv))
        return ProgramResult(0, "ok\n")


def runner(core: Core, programs: Programs, interfaces=("lo", "eth0")) -> ActionRunner:
    return ActionRunner(
        core.db,
        core.clock,
        post=notifier.post_json,
        kernel=core.kernel,
        run=programs,
        which=lambda name: f"/usr/bin/{name}",
        interfaces=lambda: frozenset(interfaces),
    )


def test_the_shipped_playbook_proposes_the_template_and_runs_exactly_it(warden, data_dir):
    with seeding(data_dir) as core:
        sync_catalog(core)
        finding = raise_offline(core, "cam-1", "192.168.1.20")
    (proposed,) = warden.json("actions", "list", "--finding", str(finding.id))
    assert [(s["template"], s["argv"]) for s in proposed["steps"]] == [
        ("ping_device", ["ping", "-c", "3", "-W", "2", "192.168.1.20"]),
        ("neighbours", ["ip", "neigh", "show", "to", "192.168.1.20"]),
    ]
    assert warden("actions", "approve", str(proposed["id"])).exit_code == 0
    programs = Programs()
    with seeding(data_dir) as core:
        assert runner(core, programs).run_approved() == 1
    assert programs.calls == [
        ["/usr/bin/ping", "-c", "3", "-W", "2", "192.168.1.20"],
        ["/usr/bin/ip", "neigh", "show", "to", "192.168.1.20"],
    ]
    shown = warden("actions", "show", str(proposed["id"]))
    assert "succeeded" in shown.stdout and "| ok" in shown.stdout


def test_an_edited_step_is_rendered_from_its_template_and_a_tampered_action_never_runs(
    warden, data_dir
):
    """What reaches argv is rebuilt from the template when the action runs: an action whose
    stored steps were changed behind the service's back (or an old argv-style action) fails
    with the reason, and nothing is started."""
    assert (
        set_steps(
            warden,
            "[{kind: diagnostic, template: interface_status, params: {interface: eth0}},"
            " {kind: diagnostic, template: ping_device, params: {ip: '{ip}', count: 1}}]",
        ).exit_code
        == 0
    )
    with seeding(data_dir) as core:
        first = raise_offline(core, "cam-1", "192.168.1.20")
        second = raise_offline(core, "cam-2", "192.168.1.21")
        third = raise_offline(core, "cam-3", "192.168.1.22")
        with core.db.writer() as session:
            tampered = {a.finding_id: a for a in session.exec(select(Action)).all()}
            old_style = tampered[second.id]
            old_style.steps = [{"kind": "diagnostic", "argv": ["ip", "-force", "-batch", "/x"]}]
            forged = tampered[third.id]
            forged.steps = [
                {**forged.steps[0], "params": {"interface": "eth0 -force -batch /x"}},
                forged.steps[1],
            ]
            session.add(old_style)
            session.add(forged)
            session.commit()
    for finding in (first, second, third):
        (action,) = warden.json("actions", "list", "--finding", str(finding.id))
        assert warden("actions", "approve", str(action["id"])).exit_code == 0
    programs = Programs()
    with seeding(data_dir) as core:
        assert runner(core, programs).run_approved() == 3
    assert programs.calls == [
        ["/usr/bin/ip", "-details", "-statistics", "address", "show", "dev", "eth0"],
        ["/usr/bin/ping", "-c", "1", "-W", "2", "192.168.1.20"],
    ]
    (old,) = warden.json("actions", "list", "--finding", str(second.id))
    assert old["state"] == "failed"
    assert "names no template" in old["reason"]
    (bad,) = warden.json("actions", "list", "--finding", str(third.id))
    assert bad["state"] == "failed"
    assert "is not an interface name" in bad["reason"]


def test_an_interface_must_exist_on_this_machine_when_the_action_runs(warden, data_dir):
    assert (
        set_steps(
            warden, "[{kind: diagnostic, template: interface_status, params: {interface: wlan9}}]"
        ).exit_code
        == 0
    )
    with seeding(data_dir) as core:
        finding = raise_offline(core, "cam-1", "192.168.1.20")
    (action,) = warden.json("actions", "list", "--finding", str(finding.id))
    assert warden("actions", "approve", str(action["id"])).exit_code == 0
    programs = Programs()
    with seeding(data_dir) as core:
        runner(core, programs, interfaces=("lo", "eth0")).run_approved()
    assert programs.calls == []
    (failed,) = warden.json("actions", "list", "--finding", str(finding.id))
    assert failed["state"] == "failed"
    assert "wlan9 does not exist on this machine" in failed["reason"]


def test_a_playbook_edited_with_argv_before_the_upgrade_is_not_run_and_says_how_to_fix_it(
    warden, data_dir
):
    from core.models import PlaybookRecord
    from core.services.playbooks import PLAYBOOKS

    assert warden("playbooks", "list").exit_code == 0
    with seeding(data_dir) as core:
        with core.db.writer() as session:
            record = session.get(PlaybookRecord, PLAYBOOK)
            record.definition = {
                **record.definition,
                "steps": [{"kind": "diagnostic", "argv": ["ip", "-force", "-batch", "/x"]}],
            }
            record.edited = True
            session.add(record)
            session.commit()
        with core.db.reader() as session:
            assert PLAYBOOK not in {p.id for p in PLAYBOOKS.loaded(session=session)}
    shown = warden("playbooks", "show", PLAYBOOK)
    assert shown.exit_code == 2
    assert f"stored playbook {PLAYBOOK} is not valid any more, so it does not run" in shown.stderr
    assert "argv is not accepted" in shown.stderr
    assert f"`warden playbooks reset {PLAYBOOK}` fixes it" in shown.stderr
    assert warden("playbooks", "reset", PLAYBOOK).exit_code == 0
    assert shown_steps(warden)[0]["template"] == "ping_device"
