"""Untrusted text made safe to store and show: decoding, neutralising, cutting.

A syslog line can carry anything a process printed. CR/LF would forge extra lines in a log
view, ESC would drive the operator's terminal, C1 controls and U+2028/2029 are line breaks to
some renderers. Each is replaced by a visible escape (``\\n``, ``\\r``, ``\\x1b``, ``\\u2028``)
so the evidence stays readable; a TAB becomes a space. Backslashes already in the text are kept
as they are: the escapes are for reading, not for decoding back.
"""

from __future__ import annotations

import re

_ESCAPES: dict[int, str] = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES |= {0x0A: "\\n", 0x0D: "\\r", 0x09: " ", 0x2028: "\\u2028", 0x2029: "\\u2029"}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def neutralise(text: str) -> str:
    """``text`` with every control character replaced by a visible escape (TAB: a space)."""
    if _CONTROL.search(text) is None:
        return text
    return text.translate(_ESCAPES)


def cut_utf8(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary, and whether it
    was cut."""
    if len(text) * 4 <= limit:  # fast path: cannot be over, whatever the characters
        return text, False
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= limit:
        return text, False
    return raw[:limit].decode("utf-8", "ignore"), True
