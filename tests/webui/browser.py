"""A real browser for the few tests that need one: Debian's Chromium, headless, driven by
its chromedriver through Selenium, against a real ``warden serve --demo`` process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.cli.test_demo import Lines, free_port
from tests.collectors.conftest import wait_until

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"
"""Screenshots land here (git-ignored) for a person to look at."""

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
    "chromium-driver; .ci/run installs them)",
)


@dataclass
class Demo:
    base: str
    password: str
    data_dir: Path
    env: dict[str, str]
    err: Lines
    """The server's standard error, read as it comes."""

    def warden(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI on the demo's database, as the operator at the gateway would."""
        return subprocess.run(
            [sys.executable, "-m", "warden", *args],
            env={**self.env, "WARDEN_DATA_DIR": str(self.data_dir)},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def demo_server(tmp_path: Path) -> Iterator[Demo]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    port = free_port()
    env["WARDEN_HTTP_PORT"] = str(port)
    # Another demo (tests/cli/test_demo.py) may run at the same time on another worker.
    env["WARDEN_SYSLOG_UDP_PORT"] = str(free_udp_port())
    env["WARDEN_SYSLOG_TCP_PORT"] = str(free_port())
    process = subprocess.Popen(
        [sys.executable, "-m", "warden", "serve", "--demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = Lines(process.stdout), Lines(process.stderr)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the demo exited:\n{out.text()}\n{err.text()}")
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, timeout=60, what="the demo's web server")
        # The web answers first; the admin is made (and its password printed) with the rest
        # of the demo just after.
        password = wait_until(
            lambda: out.find(r"admin password: (\S+)") or process.poll() is not None,
            timeout=60,
            what="the demo to print the admin password",
        )
        assert isinstance(password, str), f"the demo exited:\n{out.text()}\n{err.text()}"
        yield Demo(base, password, tmp_path / "data" / "var" / "demo", env, err)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    assert "Traceback" not in err.text(), err.text()


@contextmanager
def chromium(width: int = 1280, height: int = 900, *, phone: bool = False) -> Iterator:
    """A headless Chromium; ``phone`` emulates a phone's viewport of ``width`` by ``height``
    (a desktop window cannot be narrower than 500 px)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    if phone:
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0}},
        )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
