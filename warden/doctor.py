"""What this machine can do for Warden: privileges, kernel tools, broker, storage.

Each check reports the truth it found and whether Warden needs it to run at all
(``required``) or only for a capability (real enforcement instead of dry run, say).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel

from core.config import Settings
from core.db import Database, head_revision
from core.errors import WardenError

CAP_NET_ADMIN = 12
BROKER_TIMEOUT_S = 1.0


class Check(BaseModel):
    name: str
    ok: bool
    required: bool
    detail: str


class DoctorReport(BaseModel):
    ok: bool
    """Every required check passed."""
    checks: list[Check]


def effective_capabilities(status_text: str) -> int:
    """The CapEff bit mask from the text of /proc/self/status."""
    for line in status_text.splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def check_privileges() -> Check:
    try:
        caps = effective_capabilities(Path("/proc/self/status").read_text())
    except OSError as exc:
        return Check(
            name="net_admin", ok=False, required=False, detail=f"cannot read capabilities: {exc}"
        )
    has_net_admin = bool(caps & (1 << CAP_NET_ADMIN))
    who = "root" if os.geteuid() == 0 else f"uid {os.geteuid()}"
    if has_net_admin:
        return Check(
            name="net_admin",
            ok=True,
            required=False,
            detail=f"{who} with CAP_NET_ADMIN: real enforcement possible",
        )
    return Check(
        name="net_admin",
        ok=False,
        required=False,
        detail=f"{who} without CAP_NET_ADMIN: enforcement runs as dry run",
    )


def check_tool(name: str, version_args: list[str], purpose: str) -> Check:
    path = shutil.which(name)
    if path is None:
        return Check(name=name, ok=False, required=False, detail=f"not installed ({purpose})")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument vector, no shell
            [path, *version_args], capture_output=True, text=True, timeout=5, check=False
        )
        version = (
            (done.stdout or done.stderr).strip().splitlines()[0]
            if (done.stdout or done.stderr)
            else "version unknown"
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name=name, ok=False, required=False, detail=f"{path} does not run: {exc}")
    return Check(name=name, ok=True, required=False, detail=f"{path}: {version}")


def check_brokers(settings: Settings) -> list[Check]:
    checks = []
    for broker in settings.mqtt_brokers:
        try:
            with socket.create_connection((broker.host, broker.port), timeout=BROKER_TIMEOUT_S):
                pass
        except OSError as exc:
            checks.append(
                Check(
                    name=f"broker {broker.url}",
                    ok=False,
                    required=False,
                    detail=f"not reachable: {exc.strerror or exc}",
                )
            )
        else:
            checks.append(
                Check(
                    name=f"broker {broker.url}",
                    ok=True,
                    required=False,
                    detail="accepts TCP connections",
                )
            )
    return checks


def check_data_dir(settings: Settings) -> Check:
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            name="data_dir",
            ok=False,
            required=True,
            detail=f"{path} is not writable: {exc.strerror or exc}",
        )
    usage = shutil.disk_usage(path)
    return Check(
        name="data_dir",
        ok=True,
        required=True,
        detail=f"{path.resolve()} writable, {usage.free / 2**30:.1f} GiB free",
    )


def check_database(settings: Settings) -> Check:
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        revision = db.revision()
    except (WardenError, OSError) as exc:
        return Check(name="database", ok=False, required=True, detail=str(exc))
    finally:
        db.dispose()
    return Check(
        name="database",
        ok=revision == head_revision(),
        required=True,
        detail=f"{db.dialect}, schema revision {revision}",
    )


def run_checks(settings: Settings) -> DoctorReport:
    checks: list[Check] = [
        Check(
            name="python",
            ok=sys.version_info >= (3, 11),
            required=True,
            detail=sys.version.split()[0],
        ),
        check_privileges(),
        check_tool("tc", ["-V"], "traffic shaping"),
        check_tool("nft", ["--version"], "firewall enforcement"),
        *check_brokers(settings),
    ]
    data_dir = check_data_dir(settings)
    checks.append(data_dir)
    if data_dir.ok or settings.database_url:
        checks.append(check_database(settings))
    return DoctorReport(ok=all(c.ok for c in checks if c.required), checks=checks)
