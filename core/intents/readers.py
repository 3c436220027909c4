"""The slot readers by name, and the two list readers: destinations ("10.0.0.5 port 554 and
10.0.0.6") and impairments ("200 ms delay with 20 ms jitter and 2% loss")."""

from __future__ import annotations

from typing import Any

from core.intents.grammar import Cursor, Reader
from core.intents.slots import (
    problem,
    read_action,
    read_cadence,
    read_int,
    read_key,
    read_level,
    read_ms,
    read_pct,
    read_pword,
    read_rate,
    read_revkind,
    read_secs,
    read_targets,
    read_time_ms,
    read_value,
    read_version,
    token_at,
)


def read_dests(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    """Destinations: ``10.0.0.5 [port 554] [tcp|udp]`` (or ``tcp port 554``), as a list."""
    results: list[tuple[Any, int]] = []
    chosen: list[dict[str, Any]] = []
    while True:
        dest = _read_dest(cursor, pos)
        if dest is None:
            break
        chosen = [*chosen, dest[0]]
        pos = dest[1]
        results.append((chosen, pos))
        token = token_at(cursor, pos)
        if token is not None and token.kind == "comma":
            pos += 1
            token = token_at(cursor, pos)
        if token is not None and token.low == "and":
            pos += 1
    return results[::-1]


def _read_dest(cursor: Cursor, pos: int) -> tuple[dict[str, Any], int] | None:
    token = token_at(cursor, pos)
    if token is None or token.kind != "ip":
        return None
    dest: dict[str, Any] = {"ip": token.raw}
    if token.port is not None:
        dest["port"] = token.port
    pos += 1
    for _ in range(3):
        token, nxt = token_at(cursor, pos), token_at(cursor, pos + 1)
        if token is None:
            break
        if token.low in ("tcp", "udp") and "proto" not in dest:
            dest["proto"] = token.low
            pos += 1
        elif token.low == "port" and nxt is not None and nxt.kind == "num" and "port" not in dest:
            if "." in nxt.raw or not 0 < int(nxt.raw) < 65536:
                problem(cursor, "out_of_range", "A port must be between 1 and 65535.", pos + 1)
                return None
            dest["port"] = int(nxt.raw)
            pos += 2
        elif token.low == "on" and nxt is not None and nxt.low == "port":
            pos += 1
        else:
            break
    return {key: dest[key] for key in ("ip", "port", "proto") if key in dest}, pos


_IMPAIR_NAMES = {"delay": "delay_ms", "latency": "delay_ms", "lag": "delay_ms"}
_IMPAIR_NAMES.update({"jitter": "jitter_ms", "loss": "loss_pct"})


def read_impair(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    """'200ms delay with 20ms jitter and 2% packet loss' → the values by param name."""
    results: list[tuple[Any, int]] = []
    chosen: dict[str, float] = {}
    while True:
        item = _read_impair_item(cursor, pos)
        if item is None or item[0] in chosen:
            break
        chosen = {**chosen, item[0]: item[1]}
        pos = item[2]
        results.append((chosen, pos))
        token = token_at(cursor, pos)
        if token is not None and token.kind == "comma":
            pos += 1
            token = token_at(cursor, pos)
        if token is not None and token.low in ("and", "with", "plus"):
            pos += 1
    return results[::-1]


def _read_impair_item(cursor: Cursor, pos: int) -> tuple[str, float, int] | None:
    token = token_at(cursor, pos)
    if token is None:
        return None
    if token.low == "packet" and token_at(cursor, pos + 1) is not None:
        return _read_impair_item(cursor, pos + 1) if cursor.tokens[pos + 1].low == "loss" else None
    if token.low in _IMPAIR_NAMES and (after := token_at(cursor, pos + 1)) and after.low == "of":
        name = _IMPAIR_NAMES[token.low]
        reader = read_pct if name == "loss_pct" else read_ms
        for value, end in reader(cursor, pos + 2):
            return name, value, end
        return None
    if token.kind != "num":
        return None
    pct = read_pct(cursor, pos)
    readings = pct or (read_time_ms(cursor, pos) if not _bare_loss(cursor, pos) else [])
    for value, end in readings:
        if token_at(cursor, end) is not None and cursor.tokens[end].low == "of":
            end += 1
        word = token_at(cursor, end)
        if word is not None and word.low == "packet":
            end += 1
            word = token_at(cursor, end)
        if word is None or word.low not in _IMPAIR_NAMES:
            return None
        name = _IMPAIR_NAMES[word.low]
        if (name == "loss_pct") != bool(pct):
            return None
        return name, value, end + 1
    return None


def _bare_loss(cursor: Cursor, pos: int) -> bool:
    nxt = token_at(cursor, pos + 1)
    return nxt is not None and nxt.low in ("packet", "loss")


READERS: dict[str, Reader] = {
    "targets": read_targets,
    "rate": read_rate,
    "ms": read_ms,
    "secs": read_secs,
    "cadence": read_cadence,
    "pct": read_pct,
    "int": read_int,
    "level": read_level,
    "pword": read_pword,
    "version": read_version,
    "key": read_key,
    "value": read_value,
    "action": read_action,
    "revkind": read_revkind,
    "dests": read_dests,
    "impair": read_impair,
}
