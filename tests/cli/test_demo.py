"""`warden serve --demo` on a fresh directory: embedded broker, simulated fleet, a database
under data/var/demo, a live fleet within seconds, a clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import httpx

from tests.collectors.conftest import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lines:
    """A child's stdout, read line by line on a thread (so the test can wait for a line)."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def find(self, pattern: str) -> str | None:
        for line in list(self.lines):
            if match := re.search(pattern, line):
                return match.group(1)
        return None

    def text(self) -> str:
        self._thread.join(timeout=10)
        return "".join(self.lines)


def test_demo_shows_a_live_fleet_serves_the_api_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    port = free_port()
    env["WARDEN_HTTP_PORT"] = str(port)
    env["WARDEN_SYSLOG_TCP_PORT"] = str(free_port())  # another demo may be running
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        env["WARDEN_SYSLOG_UDP_PORT"] = str(udp.getsockname()[1])
    demo = subprocess.Popen(
        [sys.executable, "-m", "warden", "serve", "--demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    demo_env = {**env, "WARDEN_DATA_DIR": str(tmp_path / "data" / "var" / "demo")}

    def online_devices() -> list[str]:
        listed = subprocess.run(
            [sys.executable, "-m", "warden", "devices", "list", "--json", "--status", "online"],
            env=demo_env,
            capture_output=True,
            text=True,
            check=False,
        )
        return [d["id"] for d in json.loads(listed.stdout)] if listed.returncode == 0 else []

    live: list[str] = []
    # Both pipes are drained on threads (communicate() would race them for stdout).
    out_lines, err_lines = Lines(demo.stdout), Lines(demo.stderr)

    def fleet_is_live() -> bool:
        live[:] = online_devices()
        return len(live) >= 3 or demo.poll() is not None  # or the demo died: say why below

    api = f"http://127.0.0.1:{port}/api/v1"

    def api_is_up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return demo.poll() is not None

    try:
        wait_until(fleet_is_live, timeout=45, what="the simulated fleet to come online")
        wait_until(api_is_up, timeout=20, what="the API to answer")
        password = out_lines.find(r"admin password: (\S+)")
        assert password, "the demo printed no admin password"
        login = httpx.post(f"{api}/auth/login", json={"name": "admin", "password": password})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        devices = httpx.get(f"{api}/devices", headers=auth).json()["items"]
        assert {d["id"] for d in devices} >= set(live)
        assert httpx.get(f"{api}/findings", headers=auth).status_code == 200
        submitted = httpx.post(
            f"{api}/intents", headers=auth, json={"text": f"limit {live[0]} to 2 mbit"}
        )
        assert submitted.status_code == 201, submitted.text
        assert httpx.get(f"{api}/devices").status_code == 401
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
    out, err = out_lines.text(), err_lines.text()
    assert len(live) >= 3, f"the demo said:\n{out}\n{err}"
    assert demo.returncode == 0, err
    assert "Warden demo running" in out
    assert "demo stopped" in out
    assert "Traceback" not in err
    assert (tmp_path / "data" / "var" / "demo" / "warden.db").is_file()
