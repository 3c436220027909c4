"""Running approved actions, step by step, in order; the first failing step stops the rest.

- ``command``: queued for the device through the command queue (the device's ack is the
  command's business: ``warden command list`` shows it);
- ``webhook``: a JSON POST;
- ``diagnostic``: a named template (``core.playbooks.diagnostics``), run as an argument
  vector (never a shell) with a timeout, its output captured and capped;
- ``intent``: the sentence submitted as if an operator typed it, as ``playbook:<id>``.

A diagnostic's parameters were checked when the action was proposed; here they are checked
again and the argument vector is built again from the template alone (a stored step is
data, not trusted), it must be the one the operator approved, and every interface it names
must exist on this machine. A step that fails any of this starts nothing.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from core.clock import Clock
from core.db import Database
from core.errors import WardenError
from core.models import ActionPublic, Actor, Origin
from core.playbooks import template_named
from core.ports import KernelFeaturesSource
from core.services import actions, commands, intents

log = logging.getLogger(__name__)

MAX_OUTPUT = 4000
"""Characters of a program's output (or an error) kept per step."""

Poster = Callable[[str, dict[str, object]], None]


@dataclass(frozen=True, slots=True)
class ProgramResult:
    returncode: int
    output: str


ProgramRunner = Callable[[Sequence[str], int], ProgramResult]


def machine_interfaces() -> frozenset[str]:
    """The names of this machine's network interfaces."""
    return frozenset(name for _, name in socket.if_nameindex())


def run_program(argv: Sequence[str], timeout_s: int) -> ProgramResult:
    """Run ``argv`` without a shell, stdin closed, stdout and stderr together."""
    done = subprocess.run(  # noqa: S603 - argv from an allow-list, arguments validated
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout_s,
        check=False,
    )
    return ProgramResult(done.returncode, done.stdout.decode("utf-8", "replace"))


class ActionRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        post: Poster,
        kernel: KernelFeaturesSource,
        run: ProgramRunner = run_program,
        which: Callable[[str], str | None] = shutil.which,
        interfaces: Callable[[], Collection[str]] = machine_interfaces,
    ) -> None:
        self._db = db
        self._clock = clock
        self._post = post
        self._kernel = kernel
        """What the kernel can enforce: a playbook's intent is refused like a person's."""
        self._run = run
        self._which = which
        self._interfaces = interfaces

    def run_approved(self) -> int:
        """Run what has been approved; returns how many actions ran."""
        with self._db.writer() as session:
            claimed = actions.claim_approved(session=session, now=self._clock.now())
        for action in claimed:
            results = self._run_steps(action)
            with self._db.writer() as session:
                done = actions.finish(
                    session=session, action_id=action.id, results=results, now=self._clock.now()
                )
            log.info("action %d (%s) %s", action.id, action.playbook_id, done.state)
        return len(claimed)

    def _run_steps(self, action: ActionPublic) -> list[dict[str, Any]]:
        actor = Actor(name=f"playbook:{action.playbook_id}"[:64], origin=Origin.PLAYBOOK)
        results: list[dict[str, Any]] = []
        for step in action.steps:
            try:
                result = self._step(step, action, actor)
            except (WardenError, OSError, subprocess.SubprocessError) as exc:
                result = {"ok": False, "error": str(exc)[:MAX_OUTPUT]}
            except Exception as exc:  # a bug must fail the action, not the scheduler
                log.exception("action %d: step %s crashed", action.id, step.get("kind"))
                result = {"ok": False, "error": f"internal error: {exc!r}"[:MAX_OUTPUT]}
            results.append({"kind": step.get("kind"), **result})
            if not result["ok"]:
                break
        return results

    def _step(self, step: dict[str, Any], action: ActionPublic, actor: Actor) -> dict[str, Any]:
        match step.get("kind"):
            case "command":
                return self._command(step, action, actor)
            case "webhook":
                self._post(step["url"], step.get("body") or {})
                return {"ok": True, "output": f"posted to {step['url']}"}
            case "diagnostic":
                return self._diagnostic(step)
            case "intent":
                return self._intent(step, actor)
        return {"ok": False, "error": f"unknown step kind {step.get('kind')!r}"}

    def _command(self, step: dict[str, Any], action: ActionPublic, actor: Actor) -> dict[str, Any]:
        if action.device_id is None:
            return {"ok": False, "error": "a command step needs a finding about a device"}
        with self._db.writer() as session:
            command = commands.queue_command(
                session=session,
                device_ref=action.device_id,
                cmd=step["cmd"],
                params=step.get("params") or {},
                actor=actor,
            )
        return {
            "ok": True,
            "output": f"{command.cmd} queued for {command.device_id}",
            "command_id": command.id,
        }

    def _diagnostic(self, step: dict[str, Any]) -> dict[str, Any]:
        if "template" not in step:
            return {
                "ok": False,
                "error": "refused: this diagnostic names no template (an argument vector "
                "from before diagnostics became templates is never run); propose it again",
            }
        template = template_named(step["template"])
        params = step.get("params") or {}
        argv = template.argv(params)  # DiagnosticRefused for a value that is not its type
        if "argv" in step and step["argv"] != argv:
            return {
                "ok": False,
                "error": f"refused: the approved command {step['argv']!r} is not what "
                f"{template.name} builds ({argv!r}); propose it again",
            }
        present = self._interfaces()
        for name in template.interfaces(params):
            if name not in present:
                return {"ok": False, "error": f"interface {name} does not exist on this machine"}
        timeout_s = step.get("timeout_s", 10)
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, int)
            or not 1 <= timeout_s <= 120
        ):
            return {"ok": False, "error": f"refused: timeout_s {timeout_s!r} is not 1 to 120 s"}
        path = self._which(template.program)
        if path is None:
            return {"ok": False, "error": f"{template.program} is not installed on this machine"}
        try:
            done = self._run([path, *argv[1:]], timeout_s)
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"{template.program} timed out after {timeout_s} s"}
        return {
            "ok": done.returncode == 0,
            "argv": argv,
            "exit": done.returncode,
            "output": done.output[-MAX_OUTPUT:],
            **(
                {}
                if done.returncode == 0
                else {"error": f"{template.program} exited {done.returncode}"}
            ),
        }

    def _intent(self, step: dict[str, Any], actor: Actor) -> dict[str, Any]:
        with self._db.writer() as session:
            stored, ended = intents.submit(
                session=session,
                text=step["text"],
                actor=actor,
                now=self._clock.now(),
                features=self._kernel.features(),
            )
        ids = [i.id for i in stored]
        return {
            "ok": True,
            "output": f"intent {', '.join(map(str, ids))} submitted"
            + (f", ended {', '.join(map(str, ended))}" if ended else ""),
            "intent_ids": ids,
        }
