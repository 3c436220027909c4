"""Sentences by phrasing family (issue 21): what operators type, beyond INTENTS.md's own
examples. Each family is a list of ``(text, expected)`` as in ``sentences.py``."""

from __future__ import annotations

from typing import Any

from tests.intents.sentences import ALL, CAM, I, M, block, cmd, dev, impair, limit, prio, typ


def qos(targets: Any, level: int) -> Any:
    return I("mqtt_qos", targets, {"level": level})


def power(targets: Any, enabled: bool = True) -> Any:
    return I("power_saving", targets, {"enabled": enabled})


def latency(targets: Any, target_ms: Any) -> Any:
    return I("low_latency", targets, {"target_ms": target_ms})


def rate_hz(targets: Any, hz: int) -> Any:
    return I("sampling", targets, {"sampling_rate_hz": hz})


FAMILIES: dict[str, list[tuple[str, Any]]] = {
    "targets in any position": [
        ("cap bandwidth at 3 mbit for printer-4", [limit(dev("printer-4"), 3 * M)]),
        ("limit bandwidth to 3 mbit for printer-4", [limit(dev("printer-4"), 3 * M)]),
        ("for printer-4 limit bandwidth to 3 mbit", [limit(dev("printer-4"), 3 * M)]),
        ("on printer-4, cap upload at 3 mbit", [limit(dev("printer-4"), 3 * M, "up")]),
        ("throttle download to 8 mbit on tv-2", [limit(dev("tv-2"), 8 * M, "down")]),
        ("set low priority for nas-2", [prio(dev("nas-2"), 2)]),
        ("change the priority of fan-3 to 6", [prio(dev("fan-3"), 6)]),
        ("change priority for fan-3 to 6", [prio(dev("fan-3"), 6)]),
        ("for fan-3 set priority to 6", [prio(dev("fan-3"), 6)]),
        ("fan-3 should have high priority", [prio(dev("fan-3"), 8)]),
        ("for lab-7 add 40 ms delay", [impair(dev("lab-7"), delay=40)]),
        (
            "report every 20 s from device hall-1",
            [I("report_interval", dev("hall-1"), {"send_interval_s": 20})],
        ),
        ("prioritize traffic from doorbell-1", [prio(dev("doorbell-1"), 8)]),
        # a target said last is shared by every clause before it that names none
        (
            "limit bandwidth to 2 mbit and raise priority for cam-2",
            [limit(dev("cam-2"), 2 * M), prio(dev("cam-2"), 8)],
        ),
        (
            "use qos 1 and report every 30 s for meter-4",
            [qos(dev("meter-4"), 1), I("report_interval", dev("meter-4"), {"send_interval_s": 30})],
        ),
        # a target inside the last clause's own phrasing is not shared (INTENTS.md)
        (
            "limit to 2 mbit and prioritize doorbell-1",
            [limit([ALL], 2 * M), prio(dev("doorbell-1"), 8)],
        ),
        ("set mode to eco and reboot heater-2", "no_target"),
        ("limit cam-2 to 1 mbit for nas-1", "no_intent"),
    ],
    "verbs": [
        ("reduce the bandwidth of cam-2 to 500 kbit", [limit(dev("cam-2"), 500_000)]),
        ("lower bandwidth for tv-1 to 4 mbit", [limit(dev("tv-1"), 4 * M)]),
        ("decrease the download speed of tv-1 to 4 mbit", [limit(dev("tv-1"), 4 * M, "down")]),
        ("cut bandwidth of cam-2 to 1 mbit", [limit(dev("cam-2"), M)]),
        ("bring down the bandwidth of tv-1 to 4 mbit", [limit(dev("tv-1"), 4 * M)]),
        ("keep cam-2 under 2 mbit", [limit(dev("cam-2"), 2 * M)]),
        ("raise the priority of nas-2 to 7", [prio(dev("nas-2"), 7)]),
        ("increase priority of nas-2", [prio(dev("nas-2"), 8)]),
        ("boost doorbell-1", [prio(dev("doorbell-1"), 8)]),
        ("lower the priority of nas-2", [prio(dev("nas-2"), 2)]),
        ("deprioritize nas-2", [prio(dev("nas-2"), 2)]),
        ("reduce latency to 15 ms for robot-3", [latency(dev("robot-3"), 15)]),
        ("latency below 15 ms for robot-3", [latency(dev("robot-3"), 15)]),
        ("bring latency down to 15 ms on robot-3", [latency(dev("robot-3"), 15)]),
        ("lower the latency of robot-3 to 10 ms", [latency(dev("robot-3"), 10)]),
        ("ensure latency below 20 ms for robot-3", [latency(dev("robot-3"), 20)]),
        ("guarantee latency under 20 ms for robot-3", [latency(dev("robot-3"), 20)]),
        ("make sure latency stays below 20 ms for robot-3", [latency(dev("robot-3"), 20)]),
        ("keep latency under 40 ms", [latency([ALL], 40)]),
        ("reduce latency for robot-3", [latency(dev("robot-3"), None)]),
        (
            "change the report interval for meter-4 to 60 s",
            [I("report_interval", dev("meter-4"), {"send_interval_s": 60})],
        ),
        (
            "send readings every minute from meter-4",
            [I("report_interval", dev("meter-4"), {"send_interval_s": 60})],
        ),
        ("reduce latency to 0 ms for robot-3", "out_of_range"),
    ],
    "delivery words": [
        ("qos level 1 for meter-2", [qos(dev("meter-2"), 1)]),
        ("quality of service level 1 for meter-2", [qos(dev("meter-2"), 1)]),
        ("set quality of service to 2 for meter-2", [qos(dev("meter-2"), 2)]),
        ("make delivery reliable for boiler-1", [qos(dev("boiler-1"), 1)]),
        ("delivery must be guaranteed for boiler-1", [qos(dev("boiler-1"), 1)]),
        ("send data from meter-3 without losing messages", [qos(dev("meter-3"), 1)]),
        ("make sure meter-9 doesn't lose messages", [qos(dev("meter-9"), 1)]),
        ("exactly once for meter-9", [qos(dev("meter-9"), 2)]),
        ("at most once for meter-9", [qos(dev("meter-9"), 0)]),
        ("make delivery reliable", "no_target"),
    ],
    "priority words": [
        ("urgent priority for pump-1", [prio(dev("pump-1"), 9)]),
        ("critical priority for pump-1", [prio(dev("pump-1"), 10)]),
        ("treat pump-1's traffic as critical", [prio(dev("pump-1"), 10)]),
        ("treat pump-1\u2019s traffic as urgent", [prio(dev("pump-1"), 9)]),
        ("treat cameras as low priority", [prio(CAM, 2)]),
        ("speed up pump-1", [prio(dev("pump-1"), 8)]),
        ("give high priority to all sensors", [prio(typ("sensor"), 8)]),
        ("set priority to 20 for pump-1", "out_of_range"),
    ],
    "power words": [
        ("cut the power draw of tracker-2", [power(dev("tracker-2"))]),
        ("make the battery of tracker-2 last longer", [power(dev("tracker-2"))]),
        ("save battery on tracker-2", [power(dev("tracker-2"))]),
        ("save power on all sensors", [power(typ("sensor"))]),
        ("reduce power consumption of tracker-2", [power(dev("tracker-2"))]),
        ("extend the battery life of tracker-2", [power(dev("tracker-2"))]),
        ("limit battery sensors to 100 kbit", [limit(typ("battery_sensor"), 100_000)]),
        ("save battery", "no_target"),
    ],
    "frequencies": [
        ("sample at 22 khz on mic-2", [rate_hz(dev("mic-2"), 22_000)]),
        ("set the sample rate of mic-2 to 22050 hz", [rate_hz(dev("mic-2"), 22_050)]),
        ("set sampling rate to 44.1 khz for mic-2", [rate_hz(dev("mic-2"), 44_100)]),
        (
            "sample at 2 hz on meter-4",
            [I("sampling", dev("meter-4"), {"sampling_cadence_ms": 500})],
        ),
        ("sample at 1 khz on mic-2", "out_of_range"),
        ("sample at 500 khz on mic-2", "out_of_range"),
        ("sample at 22050.5 hz on mic-2", "bad_value"),
    ],
    "generic types and their traffic": [
        ("limit sensor traffic to 100 kbit", [limit(typ("sensor"), 100_000)]),
        ("throttle camera streams to 2 mbit", [limit(CAM, 2 * M)]),
        ("give camera streams low priority", [prio(CAM, 2)]),
        ("limit all sensors to 200 kbit", [limit(typ("sensor"), 200_000)]),
        ("block all traffic of pump-1", [block(dev("pump-1"))]),
        ("reboot all sensors", [cmd(typ("sensor"), "reboot")]),
    ],
}
