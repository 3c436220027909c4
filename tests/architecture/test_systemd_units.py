"""The systemd units shipped in data/systemd: the agent with CAP_NET_ADMIN alone, the web
unprivileged, the data dir their only writable path, restarted on failure, and clean under
``systemd-analyze verify`` (which only warns, so any output is a failure)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "data" / "systemd"
NO_ANALYZE = "systemd-analyze is not installed (Debian package systemd)"


def directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("name", ["warden-agent.service", "warden-web.service"])
def test_each_unit_confines_its_process_to_the_data_dir(name: str) -> None:
    unit = directives(UNITS / name)
    assert unit["User"] == ["warden"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["ReadWritePaths"] == ["/var/lib/warden"]
    assert unit["Environment"] == ["WARDEN_DATA_DIR=/var/lib/warden"]
    assert unit["Restart"] == ["on-failure"]
    assert int(unit["LimitNOFILE"][0]) >= 4096
    assert unit["NoNewPrivileges"] == ["yes"]


def test_the_agent_has_cap_net_admin_alone_and_the_web_no_capability() -> None:
    agent = directives(UNITS / "warden-agent.service")
    web = directives(UNITS / "warden-web.service")
    assert agent["AmbientCapabilities"] == ["CAP_NET_ADMIN"]
    assert agent["CapabilityBoundingSet"] == ["CAP_NET_ADMIN"]
    assert agent["ExecStart"][0].endswith("warden agent")
    assert web["AmbientCapabilities"] == [""]
    assert web["CapabilityBoundingSet"] == [""]
    assert web["ExecStart"][0].endswith("warden web")


def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(NO_ANALYZE)
    # verify checks that ExecStart exists: point it at this checkout's installed command.
    warden = Path(sys.executable).with_name("warden")
    assert warden.exists()
    copies = []
    for unit in sorted(UNITS.glob("*.service")):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/opt/warden/bin/warden", str(warden)))
        copies.append(str(copy))
    checked = subprocess.run(
        [analyze, "verify", "--man=no", *copies],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout + checked.stderr == ""


def test_a_misspelt_directive_is_caught(tmp_path: Path) -> None:
    """The check above can fail: systemd-analyze names what it ignores."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(NO_ANALYZE)
    bad = tmp_path / "warden-web.service"
    text = (UNITS / "warden-web.service").read_text()
    bad.write_text(
        text.replace(
            "/opt/warden/bin/warden", str(Path(sys.executable).with_name("warden"))
        ).replace("ProtectSystem=", "ProtectSytem=")
    )
    checked = subprocess.run(
        [analyze, "verify", "--man=no", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "ProtectSytem" in checked.stderr
