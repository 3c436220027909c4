"""core.syslog is pure: importing it loads nothing of the database, services or models."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("core.db", "core.services", "core.models", "core.runtime", "core.live")
FORBIDDEN_LIBRARIES = ("sqlalchemy", "sqlmodel", "pydantic", "paho", "textual", "nicegui")


def test_importing_core_syslog_loads_nothing_but_itself_and_stdlib():
    script = "import json, sys, core.syslog; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert "core.syslog.parser" in loaded
    assert [m for m in loaded if m.startswith(FORBIDDEN)] == []
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN_LIBRARIES] == []
