"""A dry run is said as one: through a real `warden agent` that may not change the kernel,
`warden intent submit` comes back with the intent planned, not active; `intent show` says
each policy was not applied and why, and the verdict cannot be had; the API says the same."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Warden
from tests.collectors.conftest import wait_until

REASON = "WARDEN_ENFORCEMENT=dry-run"


@pytest.fixture
def dry_agent(data_dir: Path, broker, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update(
        WARDEN_DATA_DIR=str(data_dir),
        WARDEN_ENFORCEMENT="dry-run",
        WARDEN_MQTT_URL=broker.url,
        WARDEN_DISABLED_COLLECTORS="syslog",
    )
    log = (tmp_path / "agent.log").open("w")
    agent = subprocess.Popen(
        [sys.executable, "-m", "warden", "agent"], env=env, stdout=log, stderr=log
    )
    try:
        yield env
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=20)
        log.close()


def test_submit_through_a_dry_run_agent_says_planned_not_active(dry_agent, data_dir):
    warden = Warden(data_dir)
    assert warden("devices", "add", "cam-1", "--type", "camera", "--ip", "10.0.0.7").exit_code == 0
    wait_until(
        lambda: warden.json("enforcement", "status")["last_reconcile"],
        timeout=20,
        what="the agent's first pass",
    )

    submitted = warden("intent", "submit", "--yes", "--wait", "15", "limit cam-1 to 2 mbit")
    assert submitted.exit_code == 0, submitted.output
    assert "(planned (dry run))" in submitted.stdout
    assert "(active)" not in submitted.stdout
    assert "DRY RUN" in submitted.stderr

    (intent,) = warden.json("intent", "list")
    assert (intent["status"], intent["status_label"]) == ("planned", "planned (dry run)")
    assert intent["verdict_label"] == "unverifiable (dry run)"
    shown = warden("intent", "show", str(intent["id"]))
    assert "planned (dry run)" in shown.stdout
    assert f"not applied — dry run: {REASON}" in shown.stdout
    assert "unverifiable (dry run)" in shown.stdout
    assert "% of" not in shown.stdout  # no satisfaction ratio made of a dry run

    status = warden("enforcement", "status")
    assert "recorded but not applied (dry run)" in status.stdout
