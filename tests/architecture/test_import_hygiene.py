"""core must stay headless: importing it loads no UI, web, MQTT, netlink or scheduler
library (STYLE.md layers). Checked in a fresh interpreter so other tests' imports don't
hide a leak."""

import json
import subprocess
import sys

FORBIDDEN = ("textual", "nicegui", "fastapi", "starlette", "pyroute2", "paho", "apscheduler")

CORE_MODULES = [
    "core",
    "core.config",
    "core.db",
    "core.live",
    "core.models",
    "core.runtime",
    "core.services.devices",
    "core.services.telemetry",
    "core.services.stats",
    "core.timeparse",
]


def test_importing_core_loads_no_ui_mqtt_netlink_or_scheduler_library():
    script = (
        "import importlib, json, sys\n"
        f"for name in {CORE_MODULES!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert "core.services.telemetry" in loaded  # the imports really happened
    leaked = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert leaked == []


def test_import_contracts_hold():
    """The import-linter contracts of pyproject.toml (also run on their own in CI)."""
    done = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" not in done.stdout.lower().replace("0 broken", "")
