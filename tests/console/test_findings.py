"""The findings screen: acknowledge, resolve, note, evidence; role refusals; and findings
committed by another process arriving live at the top."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from console.app import ConsoleApp
from console.dialogs import PromptDialog, TextDialog
from core.models import FindingStatus
from core.runtime import Core
from core.services import findings
from tests.console.conftest import (
    login,
    notices,
    raise_finding,
    rows,
    screen_text,
    show,
    table,
    wait_for,
)
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]


def status(core: Core, finding_id: int) -> FindingStatus:
    with core.db.reader() as session:
        return findings.get_finding(session=session, finding_id=finding_id).status


async def select(pilot, summary: str) -> None:
    """Put the cursor on the row whose summary is ``summary``."""
    app = pilot.app
    index = [r[6] for r in rows(app)].index(summary)
    table(app).move_cursor(row=index)
    await pilot.pause()


async def test_operator_acknowledges_then_resolves(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "otto")
        await show(pilot, "2", "findings")
        await select(pilot, "meter-1 running hot")
        await pilot.press("a")
        await wait_for(
            pilot,
            lambda: [r[1] for r in rows(app) if r[6] == "meter-1 running hot"] == ["acknowledged"],
            "the acknowledgement",
        )
        assert status(core, fleet.finding_id) == FindingStatus.ACKNOWLEDGED
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: status(core, fleet.finding_id) == FindingStatus.RESOLVED,
            "the resolution",
        )
        await wait_for(pilot, lambda: "resolved" in [r[1] for r in rows(app)], "the row")
        assert f"finding {fleet.finding_id} resolved" in notices(app)


async def test_note_is_typed_in_a_modal(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        await show(pilot, "2", "findings")
        await select(pilot, "meter-1 running hot")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog), "the note dialog")
        await pilot.press(*"fan replaced", "enter")

        def noted() -> bool:
            with core.db.reader() as session:
                found = findings.get_finding(session=session, finding_id=fleet.finding_id)
            return [n.text for n in found.notes] == ["fan replaced"]

        await wait_for(pilot, noted, "the note in the database")


async def test_enter_shows_the_evidence_log_lines(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        await select(pilot, "meter-1 running hot")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the evidence")
        text = screen_text(app)
        assert "wlan0: STA aa:bb deauthenticated" in text
        assert "dropbear: bad password for root" in text


async def test_viewer_pressing_a_is_told_why_and_nothing_changes(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        await select(pilot, "meter-1 running hot")
        await pilot.press("a", "r", "n")
        await wait_for(pilot, lambda: len(notices(app)) >= 3, "the refusals")
        assert notices(app)[0] == (
            "vera (viewer) may not findings.write: it needs the operator role"
        )
        assert not isinstance(app.screen, PromptDialog)
        assert status(core, fleet.finding_id) == FindingStatus.OPEN
        assert {r[1] for r in rows(app)} == {"open"}


async def test_a_new_finding_arrives_at_the_top_highlighted_with_a_bell(
    core: Core, fleet, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ConsoleApp(core, feed_interval=0.05)
    bells: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(True))
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        clock.advance(60)
        raise_finding(core, clock, key="sensor-3", device="sensor-3", summary="attic too hot")
        await wait_for(pilot, lambda: rows(app)[0][6] == "attic too hot", "the new finding")
        first = table(app).get_row_at(0)[0]
        assert any("reverse" in str(span.style) for span in first.spans)
        assert bells == [True]


async def test_finding_committed_by_another_process_appears(core: Core, fleet) -> None:
    script = textwrap.dedent(
        f"""
        from core.config import load_settings
        from core.runtime import open_core
        from core.services import findings
        core = open_core(load_settings(data_dir={str(core.settings.data_dir)!r}))
        with core.db.writer() as session:
            findings.raise_finding(
                session=session,
                now=core.clock.now(),
                firing=findings.FindingIn(
                    rule_id="other.process", severity="critical", key="gw",
                    ts_ms=1_900_000_000_000, summary="raised elsewhere",
                ),
            )
        core.close()
        """
    )
    app = ConsoleApp(core, feed_interval=0.1)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            timeout=60,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        await wait_for(pilot, lambda: rows(app)[0][6] == "raised elsewhere", "the finding")
        assert rows(app)[0][0] == "critical"
        await wait_for(pilot, lambda: "1 crit" in screen_text(app), "the header count")
