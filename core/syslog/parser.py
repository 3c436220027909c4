"""``parse_syslog``: one datagram or frame to a :class:`SyslogRecord`. Never raises.

The whole line is decoded (invalid UTF-8 becomes U+FFFD) and neutralised first, so the host,
app and structured data are as safe as the message. Then:

- ``<PRI>1 `` starts RFC 5424: ``TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG``, each
  ``-`` meaning absent; a BOM before MSG is dropped; MSGID is read and not kept.
- any other ``<PRI>`` is BSD style (RFC 3164 as OpenWRT's logd sends it):
  ``Mmm dd hh:mm:ss HOST TAG[PID]: MSG``. Real senders leave parts out, so each is optional:
  no stamp (then no host either), no host (the token after the stamp is a ``TAG:``), no tag.
  An ISO 8601 stamp in place of ``Mmm dd …`` (rsyslog's high-precision format) is read too.
- no ``<PRI>`` (or a malformed one): facility ``user``, severity ``notice``, and the rest read
  as BSD style.

A stamp that is missing or invalid (``Feb 30``) gives the arrival time.
"""

from __future__ import annotations

import re

from core.syslog.classify import classify
from core.syslog.record import (
    DEFAULT_FACILITY,
    DEFAULT_SEVERITY,
    MAX_MESSAGE_BYTES,
    SyslogRecord,
)
from core.syslog.structured import parse_structured_data
from core.syslog.text import cut_utf8, neutralise
from core.syslog.times import MONTHS, bsd_to_ms, iso_to_ms

MAX_INPUT_BYTES = 65_536
"""Bytes read of one datagram or frame; the rest is dropped (and the record flagged)."""

_PRI = re.compile(r"<(\d{1,3})>")
_BSD_TIME = re.compile(r"([A-Za-z]{3}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})?(?: |$)")
_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\S{8,40}) ")
_HOST = re.compile(r"(\S{1,255}) ")
_TAG = re.compile(r"([^\s\[\]:]{1,64})(?:\[(\d{1,10})\])?:(?: |$)")
_FIELD = re.compile(r"(\S{1,255})(?: |$)")


def parse_syslog(data: bytes, *, received_ms: int, now_year: int | None = None) -> SyslogRecord:
    """Parse one syslog line; ``received_ms`` (epoch ms) stands in for a missing stamp and
    anchors the RFC 3164 year inference; ``now_year`` pins that year instead (no inference)."""
    cut = len(data) > MAX_INPUT_BYTES
    text = neutralise(data[:MAX_INPUT_BYTES].decode("utf-8", "replace").rstrip("\r\n\x00"))
    facility, severity = DEFAULT_FACILITY, DEFAULT_SEVERITY
    pri = _PRI.match(text)
    if pri is not None and int(pri.group(1)) <= 191:
        facility, severity = divmod(int(pri.group(1)), 8)
        pos = pri.end()
        if text.startswith("1 ", pos):
            return _rfc5424(text, pos + 2, facility, severity, received_ms, cut)
        rfc = "3164"
    else:
        pos = 0
        rfc = "none"
    ts_ms, host, pos = _bsd_header(text, pos, received_ms, now_year)
    app = pid = None
    tag = _TAG.match(text, pos)
    if tag is not None:
        app = tag.group(1)
        pid = int(tag.group(2)) if tag.group(2) else None
        pos = tag.end()
    return _record(facility, severity, ts_ms, host, app, pid, text[pos:], {}, cut, rfc)


def _bsd_header(
    text: str, pos: int, received_ms: int, now_year: int | None
) -> tuple[int, str | None, int]:
    stamp = _BSD_TIME.match(text, pos)
    if stamp is not None:
        month = MONTHS.get(stamp.group(1).lower())
        if month is None:
            return received_ms, None, pos
        day, hour, minute, second = (int(g) for g in stamp.group(2, 3, 4, 5))
        ts_ms = None
        if day >= 1 and hour < 24 and minute < 60 and second < 61:
            hms = hour * 3600 + minute * 60 + second
            ts_ms = bsd_to_ms(month, day, hms, received_ms=received_ms, now_year=now_year)
        ts_ms = received_ms if ts_ms is None else ts_ms
    else:
        stamp = _ISO_TIME.match(text, pos)
        if stamp is None:
            return received_ms, None, pos
        ts_ms = iso_to_ms(stamp.group(1))
        if ts_ms is None:
            return received_ms, None, pos
    pos = stamp.end()
    if _TAG.match(text, pos) is not None:
        return ts_ms, None, pos
    host = _HOST.match(text, pos)
    if host is None:
        return ts_ms, None, pos
    return ts_ms, host.group(1), host.end()


def _rfc5424(
    text: str, pos: int, facility: int, severity: int, received_ms: int, cut: bool
) -> SyslogRecord:
    fields: list[str | None] = []
    for _ in range(5):  # TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
        field = _FIELD.match(text, pos)
        if field is None:
            fields.append(None)
            continue
        fields.append(None if field.group(1) == "-" else field.group(1))
        pos = field.end()
    stamp, host, app, procid, _msgid = fields
    ts_ms = received_ms if stamp is None else iso_to_ms(stamp)
    pid = int(procid) if procid is not None and procid.isascii() and procid.isdigit() else None
    structured: dict[str, dict[str, str]] = {}
    if text.startswith("- ", pos) or (pos == len(text) - 1 and text.endswith("-")):
        pos += 2
    elif text.startswith("[", pos):
        parsed = parse_structured_data(text, pos)
        if parsed is not None:
            structured, pos = parsed
            pos += text.startswith(" ", pos)
    message = text[pos:]
    if message.startswith("\ufeff"):
        message = message[1:]
    return _record(
        facility,
        severity,
        received_ms if ts_ms is None else ts_ms,
        host,
        app,
        pid,
        message,
        structured,
        cut,
        "5424",
    )


def _record(
    facility: int,
    severity: int,
    ts_ms: int,
    host: str | None,
    app: str | None,
    pid: int | None,
    message: str,
    structured: dict[str, dict[str, str]],
    cut: bool,
    rfc: str,
) -> SyslogRecord:
    message, truncated = cut_utf8(message, MAX_MESSAGE_BYTES)
    return SyslogRecord(
        facility=facility,
        severity=severity,
        ts_ms=ts_ms,
        host=host,
        app=app,
        pid=pid,
        message=message,
        structured_data=structured,
        truncated=truncated or cut,
        log_class=classify(app, message),
        rfc=rfc,
    )
