"""Committing what the ingest pipeline judged: one transaction per batch.

Readings go in with one set-based statement per batch (``core.services.readings_insert``),
never as ORM objects. Devices, sequence state, command acknowledgements, dead letters and the
pipeline's counters are written in the same transaction, so after a crash the database is
consistent with exactly the messages that were acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from core.clock import from_ms, to_ms
from core.db import insert_ignore
from core.models import (
    Actor,
    DeadLetter,
    Device,
    DeviceStatus,
    MirrorPending,
    Series,
)
from core.pipeline.batch import DeviceSighting, IngestBatch
from core.services.changes import record_change, record_device_change
from core.services.device_seq import load_seq_state, save_seq_states
from core.services.ingest_commands import apply_command_results
from core.services.ingest_counters import (
    COUNTERS_KEY,
    HTTP_COUNTERS_KEY,
    agent_counters_key,
    load_counters,
)
from core.services.readings_insert import insert_readings
from core.services.runtime import upsert_setting

__all__ = [
    "COUNTERS_KEY",
    "HTTP_COUNTERS_KEY",
    "SeriesCache",
    "agent_counters_key",
    "commit_batch",
    "load_counters",
    "load_seq_state",
]

_ACTOR = Actor.system("collector")


class SeriesCache:
    """(device, metric) → series id, kept by the writer between batches. Cleared when a
    commit fails, since ids inserted by the failed transaction never existed."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}

    def clear(self) -> None:
        self.ids.clear()


def commit_batch(
    *,
    session: Session,
    batch: IngestBatch,
    series_cache: SeriesCache,
    now: datetime,
    counters: dict[str, Any] | None = None,
    counters_key: str = COUNTERS_KEY,
    mirror: bool = False,
) -> None:
    """Store one judged batch and commit, with ``counters`` (if given) under
    ``counters_key`` in the same transaction. With ``mirror``, the batch's spans join the
    InfluxDB mirror's outbox in that transaction too. Raises on a database error, having
    stored nothing; the caller retries and does not acknowledge meanwhile."""
    devices = _apply_sightings(session, batch.devices, now)
    _ensure_series(session, batch.readings, series_cache)
    insert_readings(session=session, readings=batch.readings, series_ids=series_cache.ids)
    if mirror and batch.readings:
        _queue_for_mirror(session, batch.readings, series_cache, now)
    _insert_dead_letters(session, batch)
    save_seq_states(session=session, states=batch.seq_states, now=now)
    apply_command_results(session=session, batch=batch, devices=devices, now=now)
    for device_id, missing in batch.gaps.items():
        if missing <= 0:  # late arrivals filled earlier holes
            continue
        record_device_change(
            session=session,
            actor=_ACTOR,
            kind="device.seq_gap",
            device_id=device_id,
            summary=f"{device_id}: {missing} messages missing",
        )
    if counters is not None:
        upsert_setting(session=session, key=counters_key, value=counters, now=now)
    session.commit()


def _apply_sightings(
    session: Session, sightings: dict[str, DeviceSighting], now: datetime
) -> dict[str, Device]:
    if not sightings:
        return {}
    devices = {
        d.id: d for d in session.exec(select(Device).where(col(Device.id).in_(list(sightings))))
    }
    for device_id, seen in sightings.items():
        seen_at = from_ms(seen.last_seen_ms)
        device = devices.get(device_id)
        if device is None:
            device = Device(
                id=device_id,
                name=device_id,
                type=seen.type_hint or "unknown",
                last_seen=seen_at,
                created_at=now,
                updated_at=now,
            )
            devices[device_id] = device
            record_device_change(
                session=session,
                actor=_ACTOR,
                kind="device.registered",
                device_id=device_id,
                summary=f"{device_id} appeared ({device.type})",
            )
        elif device.last_seen is None or seen_at > device.last_seen:
            device.last_seen = seen_at
        if seen.type_hint and device.type == "unknown":
            device.type = seen.type_hint
        if seen.new_boot:
            device.booted_at = now  # Warden's time, comparable with the commands' acks
        if seen.hello is not None:
            _apply_hello(session, device, seen)
        if seen.attributes:
            device.attributes = {**device.attributes, **seen.attributes}
        _apply_status(session, device, went_offline=seen.went_offline, live=seen.live)
        device.updated_at = now
        session.add(device)
    session.flush()  # series rows refer to the devices
    return devices


def _apply_hello(session: Session, device: Device, seen: DeviceSighting) -> None:
    hello = seen.hello
    assert hello is not None
    if hello.fw_version != device.firmware:
        if device.firmware is not None:
            record_device_change(
                session=session,
                actor=_ACTOR,
                kind="device.firmware_changed",
                device_id=device.id,
                summary=f"{device.id} runs firmware {hello.fw_version} (was {device.firmware})",
            )
        device.firmware = hello.fw_version
    device.uptime_s = hello.uptime_s
    device.buf_usage_pct = hello.buf_usage_pct
    device.broker_connections = hello.broker_connections
    device.temp_internal = hello.temp_internal
    if hello.settings is not None:
        device.settings = [s.as_json() for s in hello.settings]


def _apply_status(session: Session, device: Device, *, went_offline: bool, live: bool) -> None:
    if went_offline:
        if device.status != DeviceStatus.OFFLINE:
            device.status = DeviceStatus.OFFLINE
            record_device_change(
                session=session,
                actor=_ACTOR,
                kind="device.went_offline",
                device_id=device.id,
                summary=f"{device.id} is offline (last will)",
            )
    elif live and device.status != DeviceStatus.ONLINE:
        was_known = device.status == DeviceStatus.OFFLINE
        device.status = DeviceStatus.ONLINE
        if was_known:
            record_device_change(
                session=session,
                actor=_ACTOR,
                kind="device.came_online",
                device_id=device.id,
                summary=f"{device.id} is online",
            )


def _ensure_series(
    session: Session, readings: list[tuple[str, str, str | None, int, float]], cache: SeriesCache
) -> None:
    missing: dict[tuple[str, str], str | None] = {}
    for device_id, metric, unit, _, _ in readings:
        key = (device_id, metric)
        if key not in cache.ids and key not in missing:
            missing[key] = unit
    if not missing:
        return
    device_ids = {d for d, _ in missing}
    _load_series(session, device_ids, cache)
    new = [k for k in missing if k not in cache.ids]
    if new:
        session.execute(
            insert_ignore(session, Series.__table__),
            [{"device_id": d, "metric": m, "unit": missing[(d, m)]} for d, m in new],
        )
        _load_series(session, {d for d, _ in new}, cache)


def _load_series(session: Session, device_ids: Iterable[str], cache: SeriesCache) -> None:
    rows = session.exec(
        select(Series.device_id, Series.metric, Series.id).where(
            col(Series.device_id).in_(list(device_ids))
        )
    )
    for device_id, metric, series_id in rows:
        cache.ids[(device_id, metric)] = series_id  # type: ignore[assignment]


def _queue_for_mirror(
    session: Session,
    readings: list[tuple[str, str, str | None, int, float]],
    cache: SeriesCache,
    now: datetime,
) -> None:
    """One outbox row for the batch: per series, the span of timestamps it stored."""
    spans: dict[int, list[int]] = {}
    ids = cache.ids
    for device_id, metric, _, ts, _ in readings:
        series_id = ids[(device_id, metric)]
        span = spans.get(series_id)
        if span is None:
            spans[series_id] = [series_id, ts, ts]
        elif ts < span[1]:
            span[1] = ts
        elif ts > span[2]:
            span[2] = ts
    session.add(MirrorPending(created_ms=to_ms(now), spans=list(spans.values())))


def _insert_dead_letters(session: Session, batch: IngestBatch) -> None:
    if not batch.dead_letters:
        return
    session.execute(
        insert(DeadLetter.__table__),
        [
            {
                "received_at": from_ms(d.received_ms),
                "source": d.source,
                "topic": d.topic,
                "reason": d.reason,
                "detail": d.detail,
                "size": d.size,
                "head": d.head,
            }
            for d in batch.dead_letters
        ],
    )
    reasons = sorted({d.reason for d in batch.dead_letters})
    record_change(
        session=session,
        actor=_ACTOR,
        kind="deadletter.stored",
        entity="dead_letter",
        entity_id=str(len(batch.dead_letters)),
        summary=f"{len(batch.dead_letters)} message(s) rejected: {', '.join(reasons)}",
    )
