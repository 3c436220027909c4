"""Checks on the raw text and its tokenizer.

The text is refused before tokenizing when it is longer than 500 characters, holds a control
character (tab and newline included: an intent is one line) or a shell metacharacter
(``; | & ` $ < >`` and backslash): an intent never needs them, and refusing them keeps the
text safe to echo into logs and command lines. A trailing ``.``, ``!`` or ``?`` is dropped.
An apostrophe may join a word ("doesn't"); a possessive "'s" is dropped ("pump-1's traffic"
reads as "pump-1 traffic").

Tokens keep the text as typed (``raw``), because ``KB/s`` and ``kb/s`` differ and device names
keep their case; ``low`` is the lower-cased text the grammar matches on. Filler words
("please", "the", "a", "can you") are dropped here so the grammar never sees them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.intents.model import IntentError

MAX_CHARS = 500
SHELL_CHARS = frozenset(";|&`$<>\\")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<mac>[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5})(?![\w:*-])
  | (?P<cidr>\d{1,3}(?:\.\d{1,3}){3}/\d{1,2})(?![\w./*-])
  | (?P<ip>\d{1,3}(?:\.\d{1,3}){3})(?::(?P<port>\d{1,5}))?(?![\w./*-])
  | (?P<version>v?\d+(?:\.\d+){2,3})(?![\w.*-])
  | (?P<time>\d{1,2}:\d{2})(?![\w:])
  | (?P<numword>(?:\d+(?:\.\d+)?|\.\d+)[\w*-]*(?:/[sS])?)
  | (?P<pct>%)
  | (?P<comma>,)
  | (?P<word>[A-Za-z_*][\w*-]*(?:['\u2019][A-Za-z]+)?(?:/[sS])?)
    """,
    re.VERBOSE,
)
_NUM_UNIT = re.compile(r"(\d+(?:\.\d+)?|\.\d+)([A-Za-z]+(?:/[sS])?)?")
_IPV4_OK = re.compile(r"(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}")
_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f;|&`$<>\\]")
"""The control characters (Unicode category Cc) and the shell characters."""
_POSSESSIVE = re.compile(r"['\u2019][sS]$")
FILLER = frozenset({"please", "the", "a", "an", "kindly", "just", "pls"})
_ASKING = frozenset({"can", "could", "would", "will"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # word, num, pct, comma, time, ip, cidr, mac, version
    raw: str
    low: str
    port: int | None = None

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


def check_text(text: str) -> str:
    """The text stripped, or an ``IntentError`` saying why it cannot be an intent."""
    stripped = text.strip()
    if not stripped:
        raise IntentError(
            "empty",
            "The intent is empty; say what should happen.",
            suggestions=["limit cameras to 1 mbit", "reboot pump-1"],
        )
    if len(stripped) > MAX_CHARS:
        raise IntentError(
            "bad_value",
            f"The intent is {len(stripped)} characters long; at most {MAX_CHARS} are accepted. "
            "Split it into several intents.",
        )
    for char in _REFUSED.findall(stripped)[:1]:
        if unicodedata.category(char) == "Cc":
            raise IntentError(
                "bad_value",
                f"The intent contains the control character U+{ord(char):04X}; "
                "type it as one plain line.",
            )
        if char in SHELL_CHARS:
            raise IntentError(
                "bad_value",
                f"The intent contains the shell character {char!r}, which no intent uses; "
                "join several intents with 'and'.",
            )
    return stripped.rstrip(".!?").rstrip()


def tokenize(text: str) -> list[Token]:
    """Tokens of checked text, fillers dropped; an unreadable character is ``bad_value``."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise IntentError(
                "bad_value",
                f"Cannot read the character {text[pos]!r} at position {pos + 1}; "
                "intents use words, numbers, addresses, '%' and ','.",
            )
        pos = match.end()
        kind = "ip" if match.group("ip") else str(match.lastgroup)
        raw = match.group(kind)
        if kind == "ws":
            continue
        if kind == "numword":
            split = _NUM_UNIT.fullmatch(raw)
            if split is None:
                tokens.append(Token("word", raw, raw.lower()))
            else:
                tokens.append(Token("num", split[1], split[1]))
                if split[2]:
                    tokens.append(Token("word", split[2], split[2].lower()))
            continue
        if kind == "ip":
            if not _IPV4_OK.fullmatch(raw):
                raise IntentError("bad_value", f"{raw} is not an IPv4 address.")
            port = match.group("port")
            tokens.append(Token("ip", raw, raw, int(port) if port else None))
            continue
        if kind == "cidr":
            address, bits = raw.split("/")
            if not _IPV4_OK.fullmatch(address) or int(bits) > 32:
                raise IntentError("bad_value", f"{raw} is not an IPv4 network.")
        if kind == "mac":
            raw = raw.lower().replace("-", ":")
        if kind == "word" and ("'" in raw or "\u2019" in raw):
            raw = _POSSESSIVE.sub("", raw).replace("\u2019", "'")
        tokens.append(Token(kind, raw, raw.lower()))
    return _drop_fillers(tokens)


def _drop_fillers(tokens: list[Token]) -> list[Token]:
    kept: list[Token] = []
    for index, token in enumerate(tokens):
        if token.low in FILLER:
            continue
        if token.low in _ASKING and index + 1 < len(tokens) and tokens[index + 1].low == "you":
            continue
        if token.low == "you" and index and tokens[index - 1].low in _ASKING:
            continue
        kept.append(token)
    return kept
