"""The pure helpers: untrusted text made safe to show. (Command parameters are read by
``core.protocol.command_catalog``: tests/protocol/test_command_catalog.py.)"""

from __future__ import annotations

import pytest

from console.text import plain, strip_ansi


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m alert", "red alert"),
        ("\x1b[1;38;5;196mbold\x1b[m", "bold"),
        ("title\x1b]0;pwned\x07 set", "title set"),
        ("link \x1b]8;;http://x\x1b\\here\x1b]8;;\x1b\\", "link here"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("8-bit \x9b31mcsi", "8-bit csi"),
        ("tab\there", "tab here"),
        ("lone \x1b escape", "lone  escape"),
        ("[red]not markup[/red]", "[red]not markup[/red]"),
        ("température 21 °C", "température 21 °C"),
    ],
)
def test_strip_ansi_removes_escapes_and_controls_only(raw: str, shown: str) -> None:
    assert strip_ansi(raw) == shown


def test_plain_keeps_markup_literal_on_one_line() -> None:
    text = plain("[@click=app.quit]x[/]\nsecond \x1b[2Jline")
    assert text.plain == "[@click=app.quit]x[/] second line"
    assert not text.spans


def test_plain_shows_a_dash_for_nothing() -> None:
    assert plain(None).plain == "-"
