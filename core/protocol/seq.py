"""Sequence numbers per device (PROTOCOL.md "Sequence numbers"): boots, duplicates,
out-of-order arrival, gaps and the modulo-2³² wrap. A pure state machine; the collector
keeps one ``SeqState`` per device and stores ``to_json()`` in the same transaction as the
rows the message carried.

Rules (``observe``):

- Seqs are compared modulo 2³²: a seq up to 2³¹-1 ahead of ``last`` is forward, anything
  else is behind. After 4 294 967 295 comes 0 of the same boot (forward by 1).
- ``window`` remembers which of the last ``WINDOW`` (1 024) seqs up to ``last`` were seen
  (bit *i* is ``last - i``). ``holes`` marks those of them counted as missing.
- Forward by 1: new. Forward by k > 1: new, a gap (``gaps += 1``, ``missing += k - 1``).
- Behind, inside the window: seen → duplicate; not seen → new (out of order). If that seq
  was counted as missing, it no longer is: ``missing -= 1`` and ``observe`` returns -1
  as ``missing_added`` (a late arrival is not missing; ``gaps`` keeps the gap event).
  Seqs before the first one seen in a boot were never counted, so they change nothing.
- Behind by more than the window: we cannot know whether it was seen, so it is taken as a
  duplicate (not stored again) and counted in ``duplicates`` — unless it is a restart:
- **Restart rule.** ``seq < RESTART_BELOW`` (16) and at least ``WINDOW`` behind ``last``
  both in plain integers and modulo 2³² (so ``last = 2³²-1, seq = 0`` stays a wrap) starts
  a new boot at ``seq``: the device powered on again and we missed its ``online`` status.
- ``new_boot=True`` (the caller saw a boot signal, see ``boot_signal``) starts ``boot + 1``
  at ``seq``. When ``seq`` is a little ahead of ``last`` (a reconnect that kept counting,
  not a power-on), the seen-window is carried over so copies of the previous messages that
  arrive late through another broker are still recognised; no gap is counted across boots.
  ``seq=None`` (a status without seq) starts the boot with no seq seen yet.
- **Suspect jumps.** A forward jump of ``SUSPECT_JUMP`` (the window, 1 024) or more is not
  trusted: taken, it would push every seq seen so far out of the window, and the genuine
  messages after it could no longer be told from duplicates (one forged message with
  ``seq = last + 2³¹ - 1`` would silence the device and count 2³¹ missing). Such a message
  is **held**: ``SUSPECT`` (not stored; the caller dead-letters it), ``last`` stays, and
  ``suspects`` counts it. The same holds for a boot signal whose seq is neither a fresh
  count (below the window) nor a little ahead of ``last``. A held seq is **corroborated**
  by a later message that continues from it (less than a window after it) but not from
  ``last``: that message starts a new boot (the device really moved on; nothing is counted
  as missing across it). A message that continues from ``last`` forgets the held seq, and
  a copy of the held message is a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.protocol.messages import Hello, Status

MODULUS = 2**32
HALF = 2**31
WINDOW = 1024
RESTART_BELOW = 16
SUSPECT_JUMP = WINDOW
"""A forward jump this large or larger is held as suspect until corroborated (above)."""
_MASK = (1 << WINDOW) - 1


class Verdict(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    SUSPECT = "suspect"
    """Held: a jump too far to trust; not stored, not counted as missing."""


@dataclass(slots=True)
class SeqState:
    boot: int = 0
    last: int | None = None
    window: int = 0
    """Bit i set: seq ``last - i`` was seen in this boot (i < WINDOW)."""
    duplicates: int = 0
    gaps: int = 0
    missing: int = 0
    last_uptime_s: int | None = None
    holes: int = 0
    """Bit i set: seq ``last - i`` is counted in ``missing``."""
    hello_ts_ms: int | None = None
    """``ts_ms`` of the hello that set ``last_uptime_s`` (older hellos are stale copies)."""
    online_ts_ms: int | None = None
    """``ts_ms`` of the ``online`` status that started this boot (a second copy of it,
    through another broker or replayed as retained, is not a new boot)."""
    suspect: int | None = None
    """The seq of the message held as suspect, waiting for corroboration."""
    suspects: int = 0
    """Messages held as suspect, in all (never reset: the rule runner counts its rise)."""
    restarted_from: int | None = None
    """``last`` before a restart no boot signal announced (a low seq far behind), until the
    next message continues the new count. A message that continues the old count instead
    shows the restart was not the device's (a forged low seq): the count goes on from it."""

    def to_json(self) -> dict[str, Any]:
        return {
            "boot": self.boot,
            "last": self.last,
            "window": format(self.window, "x"),
            "holes": format(self.holes, "x"),
            "duplicates": self.duplicates,
            "gaps": self.gaps,
            "missing": self.missing,
            "last_uptime_s": self.last_uptime_s,
            "hello_ts_ms": self.hello_ts_ms,
            "online_ts_ms": self.online_ts_ms,
            "suspect": self.suspect,
            "suspects": self.suspects,
            "restarted_from": self.restarted_from,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeqState:
        """The inverse of ``to_json``; absent keys take their defaults."""
        return cls(
            boot=int(data.get("boot", 0)),
            last=data.get("last"),
            window=_bits(data.get("window", 0)),
            duplicates=int(data.get("duplicates", 0)),
            gaps=int(data.get("gaps", 0)),
            missing=int(data.get("missing", 0)),
            last_uptime_s=data.get("last_uptime_s"),
            holes=_bits(data.get("holes", 0)),
            hello_ts_ms=data.get("hello_ts_ms"),
            online_ts_ms=data.get("online_ts_ms"),
            suspect=data.get("suspect"),
            suspects=int(data.get("suspects", 0)),
            restarted_from=data.get("restarted_from"),
        )


def _bits(value: str | int) -> int:
    return (int(value, 16) if isinstance(value, str) else int(value)) & _MASK


def observe(state: SeqState, seq: int | None, *, new_boot: bool = False) -> tuple[Verdict, int]:
    """Account for one message's ``seq``; returns ``(verdict, missing_added)``.

    ``missing_added`` is ``k - 1`` for a forward gap of k, -1 when a late arrival fills a
    counted hole, else 0. Mutates ``state``.
    """
    last = state.last
    if seq is not None and last is not None and state.suspect is not None:
        held = _against_held(state, seq, last)
        if held is not None:
            return held
    if new_boot:
        if seq is not None and last is not None and not _fresh_boot(seq, last):
            return _hold(state, seq)
        state.boot += 1
        state.suspect = None
        if seq is None:
            state.last, state.window, state.holes = None, 0, 0
            return Verdict.NEW, 0
        ahead = (seq - last) % MODULUS if last is not None else 0
        state.window = ((state.window << ahead) | 1) & _MASK if 0 < ahead < WINDOW else 1
        state.last, state.holes = seq, 0
        return Verdict.NEW, 0
    if seq is None:
        return Verdict.NEW, 0
    if last is None:
        state.last, state.window, state.holes = seq, 1, 0
        return Verdict.NEW, 0
    ahead = (seq - last) % MODULUS
    if ahead == 0:
        state.duplicates += 1
        return Verdict.DUPLICATE, 0
    if seq < RESTART_BELOW and last - seq >= WINDOW and ahead >= WINDOW:
        state.boot += 1
        state.last, state.window, state.holes, state.suspect = seq, 1, 0, None
        state.restarted_from = last
        return Verdict.NEW, 0
    if state.restarted_from is not None:
        if 0 < (seq - state.restarted_from) % MODULUS < WINDOW:
            # The old count goes on: the low seq that looked like a restart was not the
            # device's. Held as one suspect message; counting resumes from this one.
            state.suspects += 1
            state.last, state.window, state.holes = seq, 1, 0
            state.restarted_from = None
            return Verdict.NEW, 0
        if ahead < WINDOW:
            state.restarted_from = None  # the new count goes on: the restart was real
    if ahead < HALF:
        if ahead >= SUSPECT_JUMP:
            return _hold(state, seq)
        state.suspect = None  # the device goes on from ``last``: the held seq was not it
        state.window = ((state.window << ahead) | 1) & _MASK
        holes = (state.holes << ahead) & _MASK
        if ahead > 1:
            holes |= ((1 << (ahead - 1)) - 1) << 1
        state.holes = holes
        state.last = seq
        if ahead == 1:
            return Verdict.NEW, 0
        state.gaps += 1
        state.missing += ahead - 1
        return Verdict.NEW, ahead - 1
    behind = MODULUS - ahead
    if behind >= WINDOW:
        state.duplicates += 1
        return Verdict.DUPLICATE, 0
    bit = 1 << behind
    if state.window & bit:
        state.duplicates += 1
        return Verdict.DUPLICATE, 0
    state.window |= bit
    if state.holes & bit:
        state.holes ^= bit
        state.missing -= 1
        return Verdict.NEW, -1
    return Verdict.NEW, 0


def _fresh_boot(seq: int, last: int) -> bool:
    """A boot signal's seq is believable: a fresh count from power-on, or a little ahead
    of ``last`` (a reconnect that kept counting)."""
    return seq < WINDOW or (seq - last) % MODULUS < WINDOW


def _against_held(state: SeqState, seq: int, last: int) -> tuple[Verdict, int] | None:
    """What ``seq`` means for the held seq: a copy of it (a duplicate), or a message that
    continues from it and not from ``last`` (corroborated: a new boot at ``seq``); ``None``
    when it has nothing to do with it."""
    assert state.suspect is not None
    after = (seq - state.suspect) % MODULUS
    if after == 0:
        state.duplicates += 1
        return Verdict.DUPLICATE, 0
    ahead = (seq - last) % MODULUS
    if after < WINDOW and WINDOW <= ahead <= MODULUS - WINDOW:
        state.boot += 1
        state.last, state.window, state.holes, state.suspect = seq, 1, 0, None
        return Verdict.NEW, 0
    return None


def _hold(state: SeqState, seq: int) -> tuple[Verdict, int]:
    state.suspect = seq
    state.suspects += 1
    return Verdict.SUSPECT, 0


def boot_signal(state: SeqState, message: object) -> bool:
    """Whether ``message`` starts a new boot (pass it to ``observe(new_boot=...)``).

    - ``Status`` online: yes, unless it is the very status (same ``ts_ms``) that started
      the current boot. Collectors should skip retained replays (MQTT retain flag set),
      which are old news, not a connect.
    - ``Hello`` whose ``uptime_s`` is lower than the last hello's: yes. A hello older
      (``ts_ms``) than the last one is a late copy and changes nothing.
    Updates ``last_uptime_s`` and the signal bookkeeping in ``state``.
    """
    if isinstance(message, Status):
        if not message.online or message.ts_ms == state.online_ts_ms:
            return False
        state.online_ts_ms = message.ts_ms
        state.last_uptime_s = state.hello_ts_ms = None
        return True
    if isinstance(message, Hello):
        if state.hello_ts_ms is not None and message.ts_ms < state.hello_ts_ms:
            return False
        restarted = state.last_uptime_s is not None and message.uptime_s < state.last_uptime_s
        state.last_uptime_s, state.hello_ts_ms = message.uptime_s, message.ts_ms
        return restarted
    return False
