"""RFC 5424 STRUCTURED-DATA: ``-`` or ``[id k="v" …][id2 …]``, with ``\\"``, ``\\\\`` and
``\\]`` escapes in values (a backslash before anything else is kept, as §6.3.3 says).

Lenient where it costs nothing (any run of spaces between params), strict where a guess would
mislead: a malformed block makes the whole field unparsed, and the caller keeps the text in the
message instead.
"""

from __future__ import annotations

import re

_NAME = re.compile(r'[^\s="\]]{1,32}')
_ESCAPABLE = frozenset('"\\]')


def parse_structured_data(text: str, pos: int) -> tuple[dict[str, dict[str, str]], int] | None:
    """The SD elements starting at ``text[pos]`` (a ``[``) and the index after the last one;
    ``None`` when they are malformed."""
    elements: dict[str, dict[str, str]] = {}
    end = len(text)
    while pos < end and text[pos] == "[":
        name = _NAME.match(text, pos + 1)
        if name is None:
            return None
        params: dict[str, str] = {}
        pos = name.end()
        while True:
            while pos < end and text[pos] == " ":
                pos += 1
            if pos >= end:
                return None
            if text[pos] == "]":
                pos += 1
                break
            key = _NAME.match(text, pos)
            if key is None or text.startswith('="', key.end()) is False:
                return None
            value, pos = _value(text, key.end() + 2)
            if value is None:
                return None
            params.setdefault(key.group(), value)
        elements.setdefault(name.group(), params)
    return elements, pos


def _value(text: str, pos: int) -> tuple[str | None, int]:
    """A PARAM-VALUE from just after its opening quote to just after its closing one."""
    close = text.find('"', pos)
    slash = text.find("\\", pos, close)
    if close >= 0 and slash < 0:  # the common case: no escapes
        return text[pos:close], close + 1
    out: list[str] = []
    end = len(text)
    while pos < end:
        char = text[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < end and text[pos + 1] in _ESCAPABLE:
            out.append(text[pos + 1])
            pos += 2
            continue
        out.append(char)
        pos += 1
    return None, pos
