"""core must stay headless: importing any of its modules loads no UI, web, MQTT, netlink,
scheduler, sink or HTTP client library (STYLE.md layers). Every module of the package is
imported, found by walking it, in a fresh interpreter so other tests' imports don't hide a
leak."""

import json
import subprocess
import sys
from pathlib import Path

import core

FORBIDDEN = (
    "textual",
    "nicegui",
    "fastapi",
    "starlette",
    "pyroute2",
    "paho",
    "apscheduler",
    "influxdb_client",
    "minio",
    "prometheus_client",
    "urllib3",
    "httpx",
    "requests",
)
CORE = Path(core.__file__).parent

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import core
names = ["core"] + [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def modules_on_disk() -> set[str]:
    """Every module of the ``core`` package, from its files (a directory without
    ``__init__.py``, such as the Alembic scripts, is not part of the package)."""
    names = set()
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        if not all(
            (CORE.parent.joinpath(*parts[:i]) / "__init__.py").exists()
            for i in range(1, len(parts))
        ):
            continue
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_importing_every_core_module_loads_no_ui_mqtt_netlink_scheduler_or_http_library():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout)
    expected = modules_on_disk()
    assert len(expected) > 100
    assert set(report["imported"]) == expected  # the walk found every module
    assert expected <= set(report["loaded"])  # and every one was really imported
    leaked = [m for m in report["loaded"] if m.split(".")[0] in FORBIDDEN]
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
