"""Syslog over TCP: cutting a byte stream into frames (RFC 6587).

A connection uses one framing, recognised from its first byte that is not white space or NUL:
a digit means octet counting (``123 <34>1 …``, the length then a space), anything else
(normally ``<``) means non-transparent framing, each frame ended by LF or NUL (a CR before the
LF is dropped; empty frames are skipped). Octet counting cannot resynchronise after a bad
length, so a malformed header switches the rest of the connection to newline framing, which
recovers at the next LF.

Memory is bounded: a frame longer than ``max_frame`` (at most :data:`MAX_FRAME`, the
collector's ``WARDEN_SYSLOG_MAX_FRAME_BYTES``) is **cut** — its first ``max_frame`` bytes
are returned as a frame (so the log keeps evidence of it, and the parser
flags it ``truncated``) and the rest is discarded without buffering. ``cut`` and ``errors``
count both events for the collector's metrics. Nothing here raises.
"""

from __future__ import annotations

import re

MAX_FRAME = 65_536
_MAX_DIGITS = 10
_GAP = b" \t\r\n\x00"
_END = re.compile(rb"[\n\x00]")
_OCTETS, _LINES = "octets", "lines"


class TcpFramer:
    """Feed it what one connection receives; it returns the complete frames so far."""

    __slots__ = ("_buf", "_discard", "_max", "_mode", "_skip", "cut", "errors")

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        if not 1 <= max_frame <= MAX_FRAME:
            raise ValueError(f"max_frame must be 1 to {MAX_FRAME} bytes, not {max_frame}")
        self._max = max_frame
        self._buf = bytearray()
        self._mode: str | None = None
        self._skip = 0  # octet counting: bytes of a cut frame still to discard
        self._discard = False  # newline framing: dropping a cut frame up to its end
        self.cut = 0
        self.errors = 0

    @property
    def mode(self) -> str | None:
        """``"octets"``, ``"lines"``, or ``None`` before the first byte that tells."""
        return self._mode

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        if not data:
            return out
        self._buf += data
        if self._mode is None:
            first = self._buf.lstrip(_GAP)[:1]
            if not first:
                self._buf.clear()
                return out
            self._mode = _OCTETS if first.isdigit() else _LINES
        if self._mode is _OCTETS:
            self._octets(out)
        if self._mode is _LINES:
            self._lines(out)
        return out

    def close(self) -> list[bytes]:
        """At end of connection: an unterminated last line is a frame; a partial
        octet-counted frame is dropped (counted in ``errors``)."""
        out: list[bytes] = []
        rest = bytes(self._buf).rstrip(b"\r")
        self._buf.clear()
        if self._mode is _LINES and rest and not self._discard:
            if len(rest) > self._max:
                rest = rest[: self._max]
                self.cut += 1
            out.append(rest)
        elif self._mode is _OCTETS and rest.strip(_GAP):
            self.errors += 1
        return out

    def _octets(self, out: list[bytes]) -> None:
        buf, pos, end = self._buf, 0, len(self._buf)
        while pos < end:
            if self._skip:
                step = min(self._skip, end - pos)
                self._skip -= step
                pos += step
                continue
            if buf[pos] in _GAP:
                pos += 1
                continue
            space = buf.find(b" ", pos, pos + _MAX_DIGITS + 1)
            digits = buf[pos:space] if space > 0 else buf[pos : pos + _MAX_DIGITS + 1]
            if not digits.isdigit() or digits[0] == 0x30 or (space < 0 and len(digits) > 10):
                self.errors += 1
                self._mode = _LINES
                break
            if space < 0:
                break  # the length is still arriving
            length, start = int(digits), space + 1
            if length <= self._max:
                if end - start < length:
                    break
                out.append(bytes(buf[start : start + length]))
                pos = start + length
            else:
                if end - start < self._max:
                    break
                out.append(bytes(buf[start : start + self._max]))
                self.cut += 1
                taken = min(length, end - start)
                self._skip = length - taken
                pos = start + taken
        del buf[:pos]

    def _lines(self, out: list[bytes]) -> None:
        buf, pos = self._buf, 0
        while True:
            found = _END.search(buf, pos)
            if found is None:
                if self._discard:
                    pos = len(buf)
                elif len(buf) - pos > self._max:
                    out.append(bytes(buf[pos : pos + self._max]))
                    self.cut += 1
                    self._discard = True
                    pos = len(buf)
                break
            stop = found.start()
            if self._discard:
                self._discard = False
            elif stop > pos:
                line = bytes(buf[pos:stop]).removesuffix(b"\r")
                if len(line) > self._max:
                    line = line[: self._max]
                    self.cut += 1
                if line:
                    out.append(line)
            pos = stop + 1
        del buf[:pos]
