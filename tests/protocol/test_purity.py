"""core.protocol is pure: the simulator imports it and nothing else of core, so importing
it must load no database, services, models, validation or MQTT library."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("core.db", "core.services", "core.models", "core.runtime", "core.live")
FORBIDDEN_LIBRARIES = ("sqlalchemy", "sqlmodel", "pydantic", "paho", "textual", "nicegui")


def test_importing_core_protocol_loads_nothing_but_itself_and_core_errors():
    script = "import json, sys, core.protocol; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert "core.protocol.decode" in loaded
    assert [m for m in loaded if m.startswith(FORBIDDEN)] == []
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN_LIBRARIES] == []
