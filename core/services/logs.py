"""Logs: storing batches of parsed lines, linking them to devices, learning device identity
from DHCP, querying and purging."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from core.clock import from_ms
from core.models import Actor, Device, LogEntry, LogPublic
from core.rules import LogEvent
from core.services.changes import record_device_change
from core.services.paging import Page, page_of, window
from core.syslog import DhcpLease, LogClass, parse_dhcp

_ACTOR = Actor.system("syslog")


@dataclass(slots=True)
class LogLine:
    """One parsed line on its way to the database."""

    ts_ms: int
    received_ms: int
    source: str
    source_ip: str | None
    host: str | None
    app: str | None
    pid: int | None
    facility: int
    severity: int
    log_class: str
    message: str
    structured: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False


class LogBatchResult(SQLModel):
    stored: int
    linked: int
    """Lines tied to a registered device (by host name or source address)."""
    identities: list[str]
    """Devices whose IP or MAC a DHCP line taught."""


def _learn(
    session: Session, lease: DhcpLease, by_id: dict[str, Device], by_mac: dict[str, Device]
) -> Device | None:
    device = by_mac.get(lease.mac)
    if device is None and lease.hostname:
        device = by_id.get(lease.hostname) or next(
            (d for d in by_id.values() if d.name == lease.hostname), None
        )
    if device is None or (device.ip == lease.ip and device.mac == lease.mac):
        return None
    changed = []
    if device.ip != lease.ip:
        changed.append(f"ip {lease.ip}")
        device.ip = lease.ip
    if device.mac != lease.mac:
        changed.append(f"mac {lease.mac}")
        device.mac = lease.mac
        by_mac[lease.mac] = device
    session.add(device)
    record_device_change(
        session=session,
        actor=_ACTOR,
        kind="device.identity_learned",
        device_id=device.id,
        summary=f"{device.id}: {', '.join(changed)} (DHCP)",
    )
    return device


def ingest_batch(*, session: Session, lines: Sequence[LogLine]) -> LogBatchResult:
    """Store parsed lines in one set-based insert; tie each to a device by host name or
    source address; let DHCP acknowledgements teach devices their IP and MAC first."""
    if not lines:
        return LogBatchResult(stored=0, linked=0, identities=[])
    registry = list(session.exec(select(Device)))
    by_id = {d.id: d for d in registry}
    by_mac = {d.mac: d for d in registry if d.mac}
    learned = []
    for line in lines:
        if line.log_class == LogClass.DHCP:
            lease = parse_dhcp(line.message)
            if lease is not None and (device := _learn(session, lease, by_id, by_mac)):
                learned.append(device.id)
    by_name = {d.name: d.id for d in registry}
    by_ip = {d.ip: d.id for d in registry if d.ip}
    rows = []
    linked = 0
    for line in lines:
        device_id = None
        if line.host:
            device_id = line.host if line.host in by_id else by_name.get(line.host)
        if device_id is None and line.source_ip:
            device_id = by_ip.get(line.source_ip)
        linked += device_id is not None
        rows.append(
            {
                "ts": line.ts_ms,
                "received_at": from_ms(line.received_ms),
                "source": line.source,
                "source_ip": line.source_ip,
                "host": line.host,
                "app": line.app,
                "pid": line.pid,
                "facility": line.facility,
                "severity": line.severity,
                "log_class": line.log_class,
                "message": line.message,
                "structured": line.structured,
                "truncated": line.truncated,
                "device_id": device_id,
            }
        )
    session.execute(insert(LogEntry.__table__), rows)
    session.commit()
    return LogBatchResult(stored=len(rows), linked=linked, identities=sorted(set(learned)))


def query_logs(
    *,
    session: Session,
    host: str | None = None,
    app: str | None = None,
    log_class: str | None = None,
    contains: str | None = None,
    device_id: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[LogPublic]:
    """Log lines, newest first."""
    query = select(LogEntry).order_by(col(LogEntry.ts).desc(), col(LogEntry.id).desc())
    if host:
        query = query.where(LogEntry.host == host)
    if app:
        query = query.where(LogEntry.app == app)
    if log_class:
        query = query.where(LogEntry.log_class == log_class)
    if device_id:
        query = query.where(LogEntry.device_id == device_id)
    if contains:
        query = query.where(col(LogEntry.message).contains(contains, autoescape=True))
    if since_ms is not None:
        query = query.where(col(LogEntry.ts) >= since_ms)
    if until_ms is not None:
        query = query.where(col(LogEntry.ts) < until_ms)
    rows = session.exec(window(query, offset=offset, limit=limit)).all()
    return page_of(
        [LogPublic.model_validate(r, from_attributes=True) for r in rows],
        offset=offset,
        limit=limit,
    )


def logs_after(*, session: Session, after_id: int, limit: int = 5000) -> list[LogPublic]:
    """Lines stored after ``after_id``, oldest first (the rule runner follows the table)."""
    rows = session.exec(
        select(LogEntry).where(col(LogEntry.id) > after_id).order_by(col(LogEntry.id)).limit(limit)
    )
    return [LogPublic.model_validate(r, from_attributes=True) for r in rows]


def log_event(line: LogPublic) -> LogEvent:
    """A stored log line as the rules see it (the rule runner and the rule replay)."""
    return LogEvent(
        ts_ms=line.ts,
        id=line.id,
        host=line.host,
        app=line.app,
        log_class=line.log_class,
        message=line.message,
        device_id=line.device_id,
        source_ip=line.source_ip,
    )


def last_log_id(*, session: Session) -> int:
    return session.exec(select(LogEntry.id).order_by(col(LogEntry.id).desc()).limit(1)).first() or 0


EVIDENCE_SHOWN = 200
"""Lines read at most for one finding's evidence (a finding keeps a bounded number anyway)."""


def logs_by_ids(*, session: Session, ids: Sequence[int]) -> list[LogPublic]:
    """The stored log lines among ``ids`` (the newest ``EVIDENCE_SHOWN``), oldest first;
    lines the retention job has purged since are simply absent."""
    wanted = list(dict.fromkeys(ids))[-EVIDENCE_SHOWN:]
    if not wanted:
        return []
    rows = session.exec(
        select(LogEntry).where(col(LogEntry.id).in_(wanted)).order_by(col(LogEntry.id))
    )
    return [LogPublic.model_validate(row, from_attributes=True) for row in rows]
