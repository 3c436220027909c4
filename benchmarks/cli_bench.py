"""``warden bench cli``: how long the operator waits for the command line, the terminal
console and the demo, each as a whole new process, against ``python -c pass`` (the floor
every Python command pays) in the same run.

- ``python_s``: ``python -c pass``.
- ``help_s``: ``python -m warden --help``.
- ``devices_list_s``: ``python -m warden devices list --json`` on a data directory holding
  ``devices`` registered devices (made, and migrated, before the clock starts).
- ``console_ready_s``: ``python -m warden console`` in a pseudo-terminal (80x24), until the
  login screen's last line (``ctrl+q: quit``) is drawn; then the process is killed.
- ``demo_http_ready_s``: ``python -m warden serve --demo`` on its own data directory and a
  free HTTP port, until ``GET /`` answers (any HTTP status); then SIGTERM. (The demo's
  embedded broker takes port 1883, or any free port when that is taken.)

Every figure is the median of ``runs`` runs after one untimed warm-up; the commands take
turns (one run of each, then the next round), so all see the same machine. ``cpu_s`` gives
the median CPU seconds (user + system) of each process as the kernel accounted them (the
console and the demo until they were ready and killed): on a shared machine the wall time
swells with the load, the CPU time much less. ``*_ratio`` is a
figure over ``python_s``; ``targets_s`` are the bounds issue 19 sets on a quiet machine.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.config import load_settings
from core.models import Actor, DeviceCreate, Role
from core.runtime import open_core
from core.services import devices, users

TARGETS_S = {
    "devices_list_s": 0.3,
    "help_s": 0.3,
    "console_ready_s": 1.0,
    "demo_http_ready_s": 3.0,
}
READY_TIMEOUT_S = 120
CONSOLE_READY = "ctrl+q: quit"
_ANSI = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


_PYCACHE: Path | None = None
"""Where the measured processes keep their bytecode (set by ``run``)."""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The commands' environment: no WARDEN_* of the caller's, and bytecode cached (in
    the bench's own directory) even where PYTHONDONTWRITEBYTECODE is set, as an installed
    Warden has it: otherwise every run compiles Warden's modules again (~0.15 s)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WARDEN_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    if _PYCACHE is not None:
        env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE)
    env.update(WARDEN_DATA_DIR=str(data_dir), **extra)
    return env


def _warden(*argv: str) -> list[str]:
    return [sys.executable, "-m", "warden", *argv]


def _reap(process: subprocess.Popen[bytes]) -> float:
    """Wait for ``process``; the CPU seconds (user + system) it used."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds until ``argv`` exited (its output dropped); it must succeed."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        cpu = _reap(process)
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(argv[2:])} failed: {errors.read().decode()[-400:]}")
    return elapsed, cpu


def _console_ready(env: dict[str, str]) -> tuple[float, float]:
    """Seconds until ``warden console`` drew its login screen in a pseudo-terminal."""
    main, child = pty.openpty()
    os.set_blocking(main, False)
    started = time.perf_counter()
    process = subprocess.Popen(
        _warden("console", "--user", "bench"),
        env={**env, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"},
        stdin=child,
        stdout=child,
        stderr=child,
        start_new_session=True,
    )
    os.close(child)
    seen = ""
    try:
        deadline = started + READY_TIMEOUT_S
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([main], [], [], 1)
            if not ready:
                if process.poll() is not None:
                    raise RuntimeError(f"warden console exited: {seen[-400:]}")
                continue
            try:
                chunk = os.read(main, 65536).decode(errors="replace")
            except OSError:  # the terminal closed: the console ended
                raise RuntimeError(f"warden console exited: {seen[-400:]}") from None
            seen = (seen + _ANSI.sub("", chunk))[-20_000:]
            if CONSOLE_READY in seen:
                elapsed = time.perf_counter() - started
                os.killpg(process.pid, signal.SIGKILL)
                return elapsed, _reap(process)
        raise RuntimeError("warden console drew no login screen in time")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.returncode is None:
            process.wait(timeout=30)
        os.close(main)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _demo_ready(workdir: Path) -> tuple[float, float]:
    """Seconds until ``warden serve --demo`` answered HTTP (on a fresh data directory)."""
    data_dir = workdir / f"demo-{secrets.token_hex(4)}"
    port = _free_port()
    env = _env(
        data_dir,
        WARDEN_HTTP_HOST="127.0.0.1",
        WARDEN_HTTP_PORT=str(port),
        WARDEN_SYSLOG_HOST="127.0.0.1",
        WARDEN_SYSLOG_UDP_PORT="0",
        WARDEN_SYSLOG_TCP_PORT="0",
        WARDEN_LOG_LEVEL="WARNING",
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        _warden("serve", "--demo"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = started + READY_TIMEOUT_S
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"warden serve --demo exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                    pass
            except urllib.error.HTTPError:
                pass  # an HTTP answer all the same
            except (urllib.error.URLError, OSError):
                time.sleep(0.02)
                continue
            elapsed = time.perf_counter() - started
            os.killpg(process.pid, signal.SIGKILL)
            return elapsed, _reap(process)
        raise RuntimeError("warden serve --demo did not answer HTTP in time")
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


def _prepare(data_dir: Path, count: int) -> None:
    """A migrated data directory with ``count`` devices and the console's user."""
    core = open_core(load_settings(data_dir=data_dir))
    actor = Actor.system("bench")
    try:
        with core.db.writer() as session:
            for number in range(count):
                devices.register_device(
                    session=session,
                    create=DeviceCreate(
                        id=f"bench-{number:04d}",
                        type="camera",
                        ip=f"10.0.{number // 250}.{number % 250 + 1}",
                    ),
                    actor=actor,
                )
            users.add_user(
                session=session,
                name="bench",
                password=secrets.token_urlsafe(18),
                role=Role.ADMIN,
                actor=actor,
                now=core.clock.now(),
            )
    finally:
        core.close()


def run(
    workdir: Path, *, runs: int = 5, device_count: int = 50, demo: bool = True
) -> dict[str, Any]:
    global _PYCACHE
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / f"cli-{secrets.token_hex(4)}"
    _PYCACHE = workdir / f"pycache-{secrets.token_hex(4)}"  # filled by the warm-up round
    demo_skipped = None if demo else "not asked for (--no-demo)"
    try:
        _prepare(data_dir, device_count)
        env = _env(data_dir)
        measures: dict[str, Callable[[], tuple[float, float]]] = {
            "python_s": lambda: _timed([sys.executable, "-c", "pass"], env),
            "help_s": lambda: _timed(_warden("--help"), env),
            "devices_list_s": lambda: _timed(_warden("devices", "list", "--json"), env),
            "console_ready_s": lambda: _console_ready(env),
        }
        if demo_skipped is None:
            measures["demo_http_ready_s"] = lambda: _demo_ready(workdir)
        times: dict[str, list[float]] = {key: [] for key in measures}
        cpu: dict[str, list[float]] = {key: [] for key in measures}
        for round_ in range(runs + 1):  # round 0 warms up (caches, the first migration)
            for key, measure in measures.items():
                elapsed, used = measure()
                if round_:
                    times[key].append(elapsed)
                    cpu[key].append(used)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(_PYCACHE, ignore_errors=True)
    figures: dict[str, Any] = {k: round(statistics.median(v), 3) for k, v in times.items()}
    figures.setdefault("demo_http_ready_s", None)
    python_s = figures["python_s"]
    return {
        "benchmark": "cli",
        "runs": runs,
        "devices": device_count,
        **figures,
        **{
            key.removesuffix("_s") + "_ratio": round(figures[key] / python_s, 1)
            for key in TARGETS_S
            if figures[key] is not None and python_s
        },
        "cpu_s": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
        "min_s": {k: round(min(v), 3) for k, v in times.items()},
        "max_s": {k: round(max(v), 3) for k, v in times.items()},
        "targets_s": TARGETS_S,
        "meets_targets": {
            key: figures[key] is not None and figures[key] <= bound
            for key, bound in TARGETS_S.items()
        },
        "demo_skipped": demo_skipped,
        "method": (
            "whole new processes (sys.executable -m warden ...), median of the runs after one "
            "warm-up, commands taking turns; console until its login screen is drawn in a "
            "pseudo-terminal, demo until GET / answers; python -c pass in the same rounds"
        ),
    }
