"""What ``warden serve`` leaves behind besides the console (issue 15 item 10): no line per
request or websocket on standard error at the default log level, and NiceGUI's browser
sessions in the data dir rather than ``.nicegui/`` wherever the server was started."""

from __future__ import annotations

import httpx
import pytest

from tests.webui.browser import chromium, demo_server, needs_chromium
from tests.webui.test_browser import sign_in, wait_for_text

pytestmark = [needs_chromium, pytest.mark.slow]


def test_serve_logs_no_line_per_request_and_keeps_sessions_in_the_data_dir(tmp_path):
    with demo_server(tmp_path) as demo:
        with chromium() as driver:
            sign_in(driver, demo)  # pages, assets and the websocket
            driver.get(f"{demo.base}/findings")
            wait_for_text(driver, "Findings")
        for _ in range(5):
            httpx.get(f"{demo.base}/login?redirect_to=/secret-looking-query", timeout=10)
        sessions = demo.data_dir / "web-sessions"
        assert any(sessions.glob("storage-user-*.json")), list(demo.data_dir.iterdir())
        assert sessions.stat().st_mode & 0o077 == 0  # the owner's alone
    stderr = demo.err.text()
    assert '"GET /' not in stderr, stderr[-3000:]
    assert "WebSocket /" not in stderr and "connection open" not in stderr, stderr[-3000:]
    assert "secret-looking-query" not in stderr
    assert not (tmp_path / ".nicegui").exists()
