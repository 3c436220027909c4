"""Playbook actions end to end below the scheduler: a finding proposes, an operator
approves or rejects, the runner runs real programs, queues real commands, posts to a real
local HTTP server and submits intents; refused placeholders never reach a program."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import timedelta

import pytest

from core.errors import InvalidInput
from core.models import ActionState, Origin
from core.playbooks import parse_playbook
from core.ports import KernelFeatures
from core.runtime import KnownKernel
from core.services import actions, commands, findings, intents, maintenance
from core.services.playbooks import PLAYBOOKS
from enforcement import notifier
from enforcement.action_runner import ActionRunner, ProgramResult, run_program
from tests.factories import FakeClock, Receiver, actor, make_device

T0 = 1_770_890_400_000


class RecordingRunner:
    """The real program runner, remembering every argument vector it was given."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], timeout_s: int) -> ProgramResult:
        self.calls.append(list(argv))
        return run_program(argv, timeout_s)


def store_playbooks(core, clock, *definitions):
    with core.db.writer() as session:
        PLAYBOOKS.sync(
            session=session,
            shipped=[parse_playbook({"pack": "test", **d}) for d in definitions],
            now=clock.now(),
        )


ECHO_DEVICE = {"kind": "diagnostic", "template": "echo", "params": {"device": "{device}"}}
REQUEST_STATUS = {"kind": "command", "cmd": "request_status"}


def check_hot(mode, *steps):
    """A playbook on the test rule ``test.hot``."""
    return {
        "id": "test.check-hot",
        "name": "Check",
        "on": ["test.hot"],
        "mode": mode,
        "steps": list(steps),
    }


def fire(
    core, clock, *, rule="test.hot", key="temp-1", device="temp-1", captures=None, suppressed=False
):
    with core.db.writer() as session:
        return findings.raise_finding(
            session=session,
            now=clock.now(),
            suppressed=suppressed,
            firing=findings.FindingIn(
                rule_id=rule,
                severity="high",
                key=key,
                device_id=device,
                ts_ms=T0,
                summary=f"{rule} on {key}",
                details={"captures": captures or {}},
            ),
        )


def only_action(core, **filters):
    with core.db.reader() as session:
        (action,) = actions.list_actions(session=session, reader=actor(), **filters).items
    return action


@pytest.fixture
def setup(core):
    clock = FakeClock()
    with core.db.writer() as session:
        make_device(
            session,
            id="temp-1",
            type="sensor_temp",
            seen_at=clock.now(),
            ip="192.168.1.20",
            mac="aa:bb:cc:dd:ee:01",
        )
    runner = RecordingRunner()
    action_runner = ActionRunner(
        core.db, clock, post=notifier.post_json, kernel=core.kernel, run=runner
    )
    return clock, runner, action_runner


def test_a_suggested_action_waits_for_approval_then_runs_its_steps_in_order(core, setup):
    clock, programs, action_runner = setup
    store_playbooks(
        core,
        clock,
        {
            "id": "test.check-hot",
            "name": "Check a hot sensor",
            "on": ["test.hot"],
            "mode": "suggest",
            "steps": [
                {
                    "kind": "diagnostic",
                    "template": "echo",
                    "params": {"device": "{device}", "ip": "{ip}", "mac": "{mac}"},
                },
                {"kind": "command", "cmd": "request_status"},
            ],
        },
    )
    finding = fire(core, clock)
    proposed = only_action(core)
    assert (proposed.state, proposed.finding_id, proposed.playbook_id) == (
        ActionState.PROPOSED,
        finding.id,
        "test.check-hot",
    )
    # What the operator approves is what will run: placeholders already filled in.
    assert proposed.steps[0]["argv"] == ["echo", "temp-1", "192.168.1.20", "aa:bb:cc:dd:ee:01"]

    assert action_runner.run_approved() == 0
    assert programs.calls == []

    with core.db.writer() as session:
        actions.approve(session=session, action_id=proposed.id, actor=actor("ops"), now=clock.now())
    assert action_runner.run_approved() == 1
    done = only_action(core)
    assert done.state == ActionState.SUCCEEDED
    assert done.decided_by == "ops"
    assert [r["kind"] for r in done.results] == ["diagnostic", "command"]
    assert done.results[0]["output"] == "temp-1 192.168.1.20 aa:bb:cc:dd:ee:01\n"
    assert programs.calls[0][1:] == ["temp-1", "192.168.1.20", "aa:bb:cc:dd:ee:01"]
    with core.db.reader() as session:
        (queued,) = commands.list_commands(session=session).items
    assert (queued.cmd, queued.device_id, queued.actor) == (
        "request_status",
        "temp-1",
        "playbook:test.check-hot",
    )
    assert action_runner.run_approved() == 0  # ran once, not again


def test_a_hostile_placeholder_value_is_refused_before_anything_runs(core, setup):
    clock, programs, action_runner = setup
    store_playbooks(
        core,
        clock,
        {
            "id": "test.station",
            "name": "Inspect the station",
            "on": ["test.hot"],
            "mode": "auto",
            "steps": [
                {
                    "kind": "diagnostic",
                    "template": "echo",
                    "params": {"interface": "{interface}", "mac": "{mac}"},
                }
            ],
        },
    )
    fire(core, clock, captures={"iface": "wlan0; reboot", "mac": "3c:22:fb:12:34:56"})
    refused = only_action(core)
    assert refused.state == ActionState.FAILED
    assert "wlan0; reboot" in refused.reason
    assert refused.reason.startswith("refused before running")
    assert action_runner.run_approved() == 0
    assert programs.calls == []


def test_auto_mode_runs_without_approval_and_a_failing_step_stops_the_rest(core, setup):
    clock, programs, action_runner = setup
    receiver = Receiver([500])
    try:
        store_playbooks(
            core,
            clock,
            {
                "id": "test.notify",
                "name": "Tell the on-call",
                "on": ["test.*"],
                "mode": "auto",
                "steps": [
                    {
                        "kind": "webhook",
                        "url": receiver.url,
                        "body": {"text": "{summary}", "device": "{device}"},
                    },
                    {"kind": "diagnostic", "template": "echo", "params": {"host": "after"}},
                ],
            },
        )
        fire(core, clock)
        assert action_runner.run_approved() == 1
        failed = only_action(core)
        assert failed.state == ActionState.FAILED
        assert len(failed.results) == 1 and "500" in failed.results[0]["error"]
        assert programs.calls == []  # the second step never ran
        assert receiver.bodies == [{"text": "test.hot on temp-1", "device": "temp-1"}]

        with core.db.writer() as session:  # fixed, resolved, fires again: reopened
            findings.resolve(
                session=session, finding_id=failed.finding_id, actor=actor(), now=clock.now()
            )
        fire(core, clock)
        assert action_runner.run_approved() == 1
        with core.db.reader() as session:
            latest, _ = actions.list_actions(session=session, reader=actor()).items
        assert latest.state == ActionState.SUCCEEDED
        assert latest.decided_by == "auto"
        assert len(receiver.bodies) == 2
    finally:
        receiver.close()


def test_an_intent_step_submits_the_sentence_as_the_playbook(core, setup):
    clock, _, action_runner = setup
    store_playbooks(
        core,
        clock,
        {
            "id": "test.quarantine",
            "name": "Quarantine it",
            "on": ["test.hot"],
            "mode": "auto",
            "steps": [{"kind": "intent", "text": "quarantine {device}"}],
        },
    )
    fire(core, clock)
    action_runner.run_approved()
    assert only_action(core).state == ActionState.SUCCEEDED
    with core.db.reader() as session:
        (intent,) = intents.list_intents(session=session).items
    assert intent.text == "quarantine temp-1"
    assert (intent.owner, intent.origin) == ("playbook:test.quarantine", "playbook")


def test_an_intent_step_is_refused_like_a_persons_when_the_kernel_cannot_enforce_it(core, setup):
    clock, runner, _ = setup
    no_netem = KnownKernel(
        KernelFeatures(
            qdiscs=frozenset({"htb", "fq_codel"}),
            classifiers=frozenset({"u32"}),
            actions=frozenset(),
        )
    )
    action_runner = ActionRunner(
        core.db, clock, post=notifier.post_json, kernel=no_netem, run=runner
    )
    store_playbooks(
        core,
        clock,
        {
            "id": "test.slow-down",
            "name": "Slow it down",
            "on": ["test.hot"],
            "mode": "auto",
            "steps": [{"kind": "intent", "text": "add 50 ms delay to {device}"}],
        },
    )
    fire(core, clock)
    action_runner.run_approved()
    failed = only_action(core)
    assert failed.state == ActionState.FAILED
    assert "netem" in failed.reason
    with core.db.reader() as session:
        assert intents.list_intents(session=session).items == []


def test_one_open_action_per_playbook_and_finding_and_repeats_add_none(core, setup):
    clock, _, _ = setup
    store_playbooks(
        core,
        clock,
        {
            "id": "test.check-hot",
            "name": "Check",
            "on": ["test.hot"],
            "steps": [{"kind": "command", "cmd": "request_status"}],
        },
    )
    fire(core, clock)
    fire(core, clock)  # the same finding counts up; no second proposal
    proposed = only_action(core)
    with core.db.writer() as session:
        rejected = actions.reject(
            session=session,
            action_id=proposed.id,
            actor=actor(),
            now=clock.now(),
            reason="sensor is in the sun",
        )
        assert (rejected.state, rejected.reason) == (ActionState.REJECTED, "sensor is in the sun")
        with pytest.raises(InvalidInput, match="only a proposed action"):
            actions.approve(session=session, action_id=proposed.id, actor=actor(), now=clock.now())


def test_a_maintenance_window_records_actions_as_skipped(core, setup):
    clock, programs, action_runner = setup
    store_playbooks(core, clock, check_hot("auto", ECHO_DEVICE))
    with core.db.writer() as session:
        windows = maintenance.add_window(
            session=session,
            reason="moving racks",
            selector={"device": "temp-1"},
            starts_at=clock.now(),
            ends_at=clock.now() + timedelta(hours=1),
            actor=actor(),
        )
        assert windows.id is not None
    fire(core, clock, suppressed=True)
    skipped = only_action(core)
    assert skipped.state == ActionState.SKIPPED
    assert "maintenance" in skipped.reason
    assert action_runner.run_approved() == 0 and programs.calls == []


def test_a_disabled_or_non_matching_playbook_proposes_nothing(core, setup):
    clock, _, _ = setup
    store_playbooks(
        core,
        clock,
        {
            "id": "test.off",
            "name": "Off",
            "on": ["test.hot"],
            "enabled": False,
            "steps": [{"kind": "command", "cmd": "request_status"}],
        },
        {
            "id": "test.other",
            "name": "Other",
            "on": ["wifi.*"],
            "steps": [{"kind": "command", "cmd": "request_status"}],
        },
        {
            "id": "test.critical",
            "name": "Critical only",
            "on": ["test.hot"],
            "min_severity": "critical",
            "steps": [{"kind": "command", "cmd": "request_status"}],
        },
    )
    fire(core, clock)
    with core.db.reader() as session:
        assert actions.list_actions(session=session, reader=actor()).items == []


@pytest.mark.parametrize(
    ("which", "run", "error"),
    [
        (lambda _: None, None, "is not installed"),
        (None, subprocess.TimeoutExpired(["echo"], 10), "timed out"),
        (None, ProgramResult(3, "boom\n"), "exited 3"),
    ],
)
def test_a_diagnostic_that_cannot_run_fails_the_action_with_the_reason(
    core, setup, which, run, error
):
    clock, _, _ = setup

    def fake_run(argv, timeout_s):
        if isinstance(run, Exception):
            raise run
        return run

    action_runner = ActionRunner(
        core.db,
        clock,
        post=notifier.post_json,
        kernel=core.kernel,
        run=fake_run,
        **({"which": which} if which else {}),
    )
    store_playbooks(core, clock, check_hot("auto", ECHO_DEVICE))
    fire(core, clock)
    action_runner.run_approved()
    failed = only_action(core)
    assert failed.state == ActionState.FAILED
    assert error in failed.reason


def test_actions_left_running_by_a_stop_are_failed_not_rerun(core, setup):
    clock, _, _ = setup
    store_playbooks(core, clock, check_hot("auto", REQUEST_STATUS))
    fire(core, clock)
    with core.db.writer() as session:
        (claimed,) = actions.claim_approved(session=session, now=clock.now())
        assert claimed.state == ActionState.RUNNING
        assert actions.fail_interrupted(session=session, now=clock.now()) == 1
    interrupted = only_action(core)
    assert interrupted.state == ActionState.FAILED
    assert "interrupted" in interrupted.reason


def test_the_actor_of_a_playbook_is_recorded_with_the_playbook_origin(core, setup):
    clock, _, action_runner = setup
    store_playbooks(core, clock, check_hot("auto", REQUEST_STATUS))
    fire(core, clock)
    action_runner.run_approved()
    from core.services.changes import list_changes

    with core.db.reader() as session:
        queued = [c for c in list_changes(session=session) if c.kind == "command.queued"]
    assert [(c.actor, c.origin) for c in queued] == [("playbook:test.check-hot", Origin.PLAYBOOK)]
