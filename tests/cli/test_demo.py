"""`warden serve --demo` on a fresh directory: embedded broker, simulated fleet, a database
under data/var/demo, a live fleet within seconds, a clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from tests.collectors.conftest import wait_until


def test_demo_shows_a_live_fleet_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
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

    def fleet_is_live() -> bool:
        live[:] = online_devices()
        return len(live) >= 3 or demo.poll() is not None  # or the demo died: say why below

    try:
        wait_until(fleet_is_live, timeout=45, what="the simulated fleet to come online")
    finally:
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=30)
    assert len(live) >= 3, f"the demo said:\n{out}\n{err}"
    assert demo.returncode == 0, err
    assert "Warden demo running" in out
    assert "demo stopped" in out
    assert "Traceback" not in err
    assert (tmp_path / "data" / "var" / "demo" / "warden.db").is_file()
