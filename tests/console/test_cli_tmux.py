"""``warden console`` as an operator runs it: the command line, and one end-to-end run
in a real terminal (tmux) against a temporary data dir."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.config import load_settings
from core.models import Actor, Role
from core.runtime import open_core
from core.services import users
from tests.console.conftest import PASSWORD
from tests.factories import make_device
from warden.cli.main import cli

WARDEN = Path(sys.executable).with_name("warden")
WAIT_S = 20.0
"""A real process starting Python and Textual: generous, but bounded."""


def test_console_without_users_says_how_to_create_one(data_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["console"], env={"WARDEN_DATA_DIR": str(data_dir)})
    assert result.exit_code == 1
    assert "warden users add NAME --role admin" in result.output


class Tmux:
    """A tmux server of its own (``-L``), killed at the end."""

    def __init__(self) -> None:
        self.socket = f"warden-test-{uuid.uuid4().hex[:12]}"

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=check,
        )

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "console").stdout

    def wait_for(self, predicate: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while True:
            shown = self.screen()
            if predicate(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {WAIT_S} s for {what}; the pane shows:\n{shown}")
            time.sleep(0.1)  # another process: there is no event to wait on

    def alive(self) -> bool:
        return self("has-session", "-t", "console", check=False).returncode == 0


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux): the end-to-end run needs it")
    server = Tmux()
    try:
        yield server
    finally:
        server("kill-server", check=False)


def seed(data_dir: Path) -> None:
    """An admin and two devices (meter-1 seen now, camera-2 never)."""
    core = open_core(load_settings(data_dir=data_dir))
    try:
        with core.db.writer() as session:
            users.add_user(
                session=session,
                name="admin",
                password=PASSWORD,
                role=Role.ADMIN,
                actor=Actor.system(),
                now=core.clock.now(),
            )
            make_device(
                session,
                id="meter-1",
                name="Meter one",
                ip="10.0.0.21",
                firmware="1.4.2",
                seen_at=core.clock.now(),
            )
            make_device(session, id="camera-2", type="camera", ip="10.0.0.32")
    finally:
        core.close()


@pytest.mark.slow
def test_console_in_a_real_terminal(tmux: Tmux, data_dir: Path) -> None:
    seed(data_dir)
    tmux(
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "100",
        "-y",
        "30",
        "env",
        f"WARDEN_DATA_DIR={data_dir}",
        "TERM=xterm-256color",
        str(WARDEN),
        "console",
        "--user",
        "admin",
    )
    tmux.wait_for(lambda s: "system user:" in s and "admin" in s, "the login, name filled in")
    tmux("send-keys", "-t", "console", "-l", PASSWORD)
    tmux("send-keys", "-t", "console", "Enter")
    tmux.wait_for(lambda s: "meter-1" in s and "camera-2" in s, "the devices")
    # The header's state line (with who is logged in) follows from its own worker.
    shown = tmux.wait_for(lambda s: "admin (admin)" in s, "the header naming the user")
    assert "daemon: never ran" in shown
    assert "Meter one" in shown and "10.0.0.21" in shown
    tmux("send-keys", "-t", "console", "2")
    tmux.wait_for(lambda s: "no open findings" in s and "summary" in s, "the findings screen")
    tmux("send-keys", "-t", "console", "q")
    deadline = time.monotonic() + WAIT_S
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux.alive(), "q on a top screen quits"


RECORD_STATUS = (
    "import subprocess, sys; "
    "code = subprocess.run(sys.argv[2:]).returncode; "
    "open(sys.argv[1], 'w').write(str(code))"
)
"""Runs a command and writes its exit status to a file (tmux's own ``pane_dead_status``
is sometimes empty for a process that is gone)."""


def start(tmux: Tmux, data_dir: Path, *command: str) -> Path:
    """``command`` in a 100x30 pane that stays after it ends; returns the file its exit
    status is written to."""
    status = data_dir.parent / "exit-status"
    tmux(
        "new-session", "-d", "-s", "console", "-x", "100", "-y", "30",
        "env", f"WARDEN_DATA_DIR={data_dir}", "TERM=xterm-256color",
        sys.executable, "-c", RECORD_STATUS, str(status), *command,
    )  # fmt: skip
    tmux("set-option", "-t", "console", "remain-on-exit", "on")
    return status


def exit_status(tmux: Tmux, status: Path) -> int:
    """The status the console ended with."""
    tmux.wait_for(lambda _s: status.exists() and status.read_text() != "", "the console to end")
    return int(status.read_text())


def log_in(tmux: Tmux) -> None:
    tmux.wait_for(lambda s: "system user:" in s, "the login")
    tmux("send-keys", "-t", "console", "-l", PASSWORD)
    tmux("send-keys", "-t", "console", "Enter")
    tmux.wait_for(lambda s: "meter-1" in s and "camera-2" in s, "the devices")


@pytest.mark.slow
def test_a_filter_that_hides_the_selected_row_in_a_real_terminal(
    tmux: Tmux, data_dir: Path
) -> None:
    """Issue 15 item 2: `/temp` on the devices screen crashed the console (status 0)."""
    seed(data_dir)
    status = start(tmux, data_dir, str(WARDEN), "console", "--user", "admin")
    log_in(tmux)
    tmux("send-keys", "-t", "console", "/")  # camera-2 is selected: the filter hides it
    tmux.wait_for(lambda s: "filter…" in s, "the filter bar")
    tmux("send-keys", "-t", "console", "-l", "meter")
    tmux.wait_for(lambda s: "meter-1" in s and "camera-2" not in s, "the filtered table")
    tmux("send-keys", "-t", "console", "Escape")
    tmux.wait_for(lambda s: "camera-2" in s, "every row again")
    tmux("send-keys", "-t", "console", "q")
    assert exit_status(tmux, status) == 0


CRASHING = """
import sys
from console.devices_screen import DevicesScreen
def make_rows(self, data):
    raise RuntimeError("a bug in a screen")
DevicesScreen.make_rows = make_rows
from warden.cli.main import cli
cli(["console", "--user", "admin"])
"""


@pytest.mark.slow
def test_a_crash_exits_non_zero_and_names_the_log(tmux: Tmux, data_dir: Path) -> None:
    """A bug in a screen ends `warden console` with status 1 and says where the traceback
    is (a real process, the screen's code replaced by one that raises)."""
    seed(data_dir)
    status = start(tmux, data_dir, sys.executable, "-c", CRASHING)
    tmux.wait_for(lambda s: "system user:" in s, "the login")
    tmux("send-keys", "-t", "console", "-l", PASSWORD)
    tmux("send-keys", "-t", "console", "Enter")
    assert exit_status(tmux, status) == 1
    log_file = data_dir / "console.log"
    shown = tmux.screen()
    assert "the console stopped on an internal error" in shown
    assert str(log_file) in shown.replace("\n", "")
    assert "RuntimeError: a bug in a screen" in log_file.read_text()
