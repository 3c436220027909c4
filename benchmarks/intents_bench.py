"""``warden bench intents``: sentences per second through the intent parser, and through
the whole plan (parse + resolve against a registry of 1 000 devices + compile, with the
live intents) as ``warden intent plan`` runs it.

The sentences are a fixed mix of every kind, target form, unit and schedule, so runs are
comparable; the peer figure is ``json.loads`` of each sentence's parse result, the cheapest
thing a client could do with the same structure.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from core.db import Database
from core.intents import parse_intent
from core.models import Actor, DeviceCreate, Origin
from core.services import devices, intents
from core.services.resolve import resolve_targets

SENTENCES = [
    "limit camera-3 to 2 mbit",
    "throttle cameras to 300 kbps",
    "cap upload of nas-1 at 20 Mbit/s",
    "guarantee 5 mbit for voip-1",
    "prioritize doorbell-1",
    "make pump-2 critical priority",
    "keep latency under 30 ms for robots",
    "add 200ms delay with 20ms jitter to lab-7",
    "drop 2% of packets for lab-7",
    "use qos 0 for weather stations",
    "send data every 2 minutes for all power meters",
    "sample every 500 ms on meter-4",
    "enable power saving for battery sensors",
    "set screen brightness to 40 for panel-1",
    "reboot gateway-sensor-4",
    "upgrade meter-4 to firmware 2.3.1",
    "disable kiosk-3",
    "block 10.0.0.23",
    "quarantine printer-2",
    "allow cam-4 to reach only 10.0.0.5 port 554",
    "unblock 10.0.0.23",
    "cancel intent 17",
    "limit cameras in the garage to 1 mbit between 22:00 and 06:00",
    "prioritize doorbell-1 and limit cameras to 1 mbit for 30 minutes",
    "Please LIMIT   the cameras to 100KB/s",
]

KINDS = [
    "camera",
    "power_meter",
    "temperature_sensor",
    "doorbell",
    "pump",
    "robot",
    "panel",
    "kiosk",
    "printer",
    "nas",
]


def _registry(path: Path, count: int) -> Database:
    db = Database(f"sqlite:///{path}")
    db.migrate()
    actor = Actor(name="bench", origin=Origin.SYSTEM)
    with db.writer() as session:
        for n in range(count):
            kind = KINDS[n % len(KINDS)]
            devices.register_device(
                session=session,
                create=DeviceCreate(
                    id=f"{kind.replace('_', '-')}-{n}",
                    type=kind,
                    location="garage" if n % 7 == 0 else "house",
                    ip=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                ),
                actor=actor,
            )
    return db


def run(workdir: Path, *, rounds: int = 40, devices_count: int = 1000) -> dict[str, Any]:
    results = [parse_intent(s) for s in SENTENCES]
    failed = [s for s, r in zip(SENTENCES, results, strict=True) if not r.ok]

    started = time.perf_counter()
    for _ in range(rounds):
        for sentence in SENTENCES:
            parse_intent(sentence)
    parse_s = time.perf_counter() - started
    per_sentence_us = []
    for sentence in SENTENCES:
        t0 = time.perf_counter()
        parse_intent(sentence)
        per_sentence_us.append((time.perf_counter() - t0) * 1e6)

    dumped = [json.dumps(r.model_dump(mode="json")) for r in results]
    started = time.perf_counter()
    for _ in range(rounds):
        for text in dumped:
            json.loads(text)
    json_s = time.perf_counter() - started

    path = workdir / "intents-registry.db"
    path.unlink(missing_ok=True)
    db = _registry(path, devices_count)
    resolved = policies = 0
    try:
        started = time.perf_counter()
        with db.reader() as session:
            for sentence in SENTENCES:
                for item in parse_intent(sentence).intents:
                    resolution = resolve_targets(session=session, targets=item.targets)
                    resolved += len(resolution.devices)
        resolve_s = time.perf_counter() - started
        started = time.perf_counter()
        with db.reader() as session:
            for sentence in SENTENCES:
                policies += len(
                    intents.plan(session=session, text=sentence, features=None).policies
                )
        plan_s = time.perf_counter() - started
    finally:
        db.dispose()
        path.unlink(missing_ok=True)

    n = rounds * len(SENTENCES)
    return {
        "benchmark": "intents",
        "sentences": len(SENTENCES),
        "not_understood": failed,
        "parse_per_s": round(n / parse_s),
        "parse_median_us": round(statistics.median(per_sentence_us), 1),
        "parse_max_us": round(max(per_sentence_us), 1),
        "json_loads_per_s": round(n / json_s),
        "parse_resolve_per_s": round(len(SENTENCES) / resolve_s, 1),
        "registry_devices": devices_count,
        "devices_resolved": resolved,
        "plan_per_s": round(len(SENTENCES) / plan_s, 1),
        "policies_planned": policies,
        "target_parse_ms": 1.0,
        "meets_target": statistics.median(per_sentence_us) < 1000,
    }
