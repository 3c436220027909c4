"""Untrusted text (device names, log lines, payloads) made safe to show: ANSI escape
sequences and other control characters removed, and wrapped in ``rich.text.Text`` so no
``[markup]`` in it is ever interpreted."""

from __future__ import annotations

import re

from rich.text import Text

ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]             # CSI: colours, cursor moves, ...
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC: titles, hyperlinks (BEL or ST ended)
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?       # DCS, SOS, PM, APC strings
    | \x1b[@-Z\\-_]                      # two-byte escapes
    | \x9b[0-?]*[ -/]*[@-~]              # 8-bit CSI
    """,
    re.VERBOSE,
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 and C1 controls but tab and newline (a lone ESC left by a broken sequence too)."""


def strip_ansi(value: str) -> str:
    """``value`` without ANSI escape sequences and control characters (tabs become a
    space, so columns stay aligned)."""
    return CONTROL.sub("", ANSI.sub("", value)).replace("\t", " ")


def plain(value: object, style: str = "") -> Text:
    """A cell or line of untrusted text: no markup, no escapes, one line."""
    if value is None:
        return Text("-", style="dim")
    return Text(strip_ansi(str(value)).replace("\n", " "), style=style, no_wrap=True)


def wrapped(value: object, style: str = "") -> Text:
    """Untrusted text shown whole (a log line, a description): no markup, no escapes,
    wrapped by the widget that shows it."""
    return Text(strip_ansi(str(value)), style=style)
