"""Operator sentences and what they must parse to, written from INTENTS.md.

Each case is ``(text, expected)``: ``expected`` is the list of intents (every key of the public
JSON but ``explanation``, checked separately) or an error code. ``WARN`` cases also check the
warnings.
"""

from __future__ import annotations

from typing import Any

ALL = {"all": True}
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def dev(*names: str) -> list[dict[str, Any]]:
    return [{"device": name} for name in names]


def typ(name: str, location: str | None = None) -> list[dict[str, Any]]:
    return [{"type": name} | ({"location": location} if location else {})]


def I(  # noqa: E743 - reads like the JSON it stands for
    kind: str,
    targets: list[dict[str, Any]],
    params: dict[str, Any],
    schedule: dict[str, Any] | None = None,
    duration_s: int | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "targets": targets,
        "params": params,
        "schedule": schedule,
        "duration_s": duration_s,
    }


def sched(start: str | None, end: str | None, days: list[str] | None = None) -> dict[str, Any]:
    return {"start": start, "end": end, "days": days or EVERY_DAY}


def limit(targets: list[dict[str, Any]], bps: int, direction: str = "both", **kw: Any) -> Any:
    return I("bandwidth_limit", targets, {"rate_bps": bps, "direction": direction}, **kw)


def prio(targets: list[dict[str, Any]], level: int, **kw: Any) -> Any:
    return I("priority", targets, {"level": level}, **kw)


def impair(targets: Any, delay: Any = None, jitter: Any = None, loss: Any = None) -> Any:
    params = {"delay_ms": delay, "jitter_ms": jitter, "loss_pct": loss}
    return I("impair", targets, params)


def cmd(targets: Any, command: str, version: str | None = None, **kw: Any) -> Any:
    return I("device_command", targets, {"command": command, "fw_version": version}, **kw)


def setting(targets: Any, key: str, value: Any) -> Any:
    return I("device_setting", targets, {"key": key, "value": value})


def block(targets: Any, scope: str = "all", **kw: Any) -> Any:
    return I("block", targets, {"scope": scope}, **kw)


M = 1_000_000
CAM = typ("camera")

CASES: list[tuple[str, Any]] = [
    # ---------------------------------------------------------------- bandwidth_limit, rates
    ("throttle cameras to 400 kbps", [limit(CAM, 400_000)]),
    ("limit camera-3 to 2 mbit", [limit(dev("camera-3"), 2 * M)]),
    ("cap upload of nas-1 at 20 Mbit/s", [limit(dev("nas-1"), 20 * M, "up")]),
    ("  Limit   Camera-3   to 2 MBIT  ", [limit(dev("Camera-3"), 2 * M)]),
    ("please limit the cameras to 100KB/s", [limit(CAM, 800_000)]),
    ("limit cameras to 100 kb/s", [limit(CAM, 100_000)]),
    ("limit cameras to 100 kB/s", [limit(CAM, 800_000)]),
    ("limit nas-1 to 1 MB/s", [limit(dev("nas-1"), 8 * M)]),
    ("limit nas-1 to 2 MBps", [limit(dev("nas-1"), 16 * M)]),
    ("limit nas-1 to 500 KBps", [limit(dev("nas-1"), 4 * M)]),
    ("limit nas-1 to 1 gbps", [limit(dev("nas-1"), 1000 * M)]),
    ("limit nas-1 to 2 Gbps", [limit(dev("nas-1"), 2000 * M)]),
    ("limit nas-1 to 2 gbit", [limit(dev("nas-1"), 2000 * M)]),
    ("limit nas-1 to 64 kbit", [limit(dev("nas-1"), 64_000)]),
    ("limit nas-1 to 64 kbit/s", [limit(dev("nas-1"), 64_000)]),
    ("limit nas-1 to 64kbit/s", [limit(dev("nas-1"), 64_000)]),
    ("limit nas-1 to 1.5 mbps", [limit(dev("nas-1"), 1_500_000)]),
    ("limit nas-1 to 1.5mbps", [limit(dev("nas-1"), 1_500_000)]),
    ("limit nas-1 to 8000 bps", [limit(dev("nas-1"), 8000)]),
    ("limit nas-1 to 7999 bps", "out_of_range"),
    ("limit nas-1 to 8 kbit", [limit(dev("nas-1"), 8000)]),
    ("limit nas-1 to 7.9 kbit", "out_of_range"),
    ("limit nas-1 to 1000 B/s", [limit(dev("nas-1"), 8000)]),
    ("limit nas-1 to 999 B/s", "out_of_range"),
    ("limit nas-1 to 10 gbit", [limit(dev("nas-1"), 10_000 * M)]),
    ("limit nas-1 to 10.001 gbit", "out_of_range"),
    ("limit nas-1 to 2 GB/s", "out_of_range"),
    ("limit download of nas-1 to 10 mbit", [limit(dev("nas-1"), 10 * M, "down")]),
    ("limit nas-1 upload to 20 mbit", [limit(dev("nas-1"), 20 * M, "up")]),
    ("restrict egress of lab-7 to 1 mbit", [limit(dev("lab-7"), M, "up")]),
    ("limit the bandwidth of every camera to 400 kbit/s", [limit(CAM, 400_000)]),
    ("set upload bandwidth limit of nas-1 to 5 mbit", [limit(dev("nas-1"), 5 * M, "up")]),
    ("limit to 2 mbit", [limit([ALL], 2 * M)]),
    ("limit all devices to 2 mbit", [limit([ALL], 2 * M)]),
    ("limit everything to 50 mbps", [limit([ALL], 50 * M)]),
    ("shape camera-* to 1 mbit", [limit([{"glob": "camera-*"}], M)]),
    ("limit cameras to 2m", "ambiguous"),
    ("limit cameras to 500k", "ambiguous"),
    ("limit cameras to 2 furlongs", "unknown_unit"),
    ("limit cameras to 20 ms", "unknown_unit"),
    ("limit cameras to 5 %", "unknown_unit"),
    # ---------------------------------------------------------------- target forms
    ("limit devices in the garage to 1 mbit", [limit([{"location": "garage"}], M)]),
    ("limit cameras in the garage to 1 mbit", [limit(typ("camera", "garage"), M)]),
    ("limit cameras in the server room to 1 mbit", [limit(typ("camera", "server_room"), M)]),
    ("limit critical devices to 1 mbit", [limit([{"tag": "critical"}], M)]),
    ("limit all critical nodes to 1 mbit", [limit([{"tag": "critical"}], M)]),
    ("limit devices tagged lab to 1 mbit", [limit([{"tag": "lab"}], M)]),
    (
        "limit critical devices in the lab to 1 mbit",
        [limit([{"tag": "critical", "location": "lab"}], M)],
    ),
    ("limit all temperature sensors to 100 kbit", [limit(typ("temperature_sensor"), 100_000)]),
    ("limit power meters to 100 kbit", [limit(typ("power_meter"), 100_000)]),
    ("limit the switches to 100 kbit", [limit(typ("switch"), 100_000)]),
    ("limit batteries to 100 kbit", [limit(typ("battery"), 100_000)]),
    ("limit camera to 100 kbit", [limit(typ("camera"), 100_000)]),
    ("limit node-5 and node-6 to 1 mbit", [limit(dev("node-5", "node-6"), M)]),
    ("limit pump-1, pump-2 and pump-3 to 1 mbit", [limit(dev("pump-1", "pump-2", "pump-3"), M)]),
    ("limit pump-1, pump-2, and pump-3 to 1 mbit", [limit(dev("pump-1", "pump-2", "pump-3"), M)]),
    ("limit 10.0.0.23 to 1 mbit", [limit([{"ip": "10.0.0.23"}], M)]),
    ("limit 10.0.0.0/24 to 1 mbit", [limit([{"cidr": "10.0.0.0/24"}], M)]),
    ("limit AA:BB:CC:DD:EE:FF to 1 mbit", [limit([{"mac": "aa:bb:cc:dd:ee:ff"}], M)]),
    ("limit aa-bb-cc-dd-ee-0f to 1 mbit", [limit([{"mac": "aa:bb:cc:dd:ee:0f"}], M)]),
    ("limit device node-4 to 1 mbit", [limit(dev("node-4"), M)]),
    ("limit node node-4 to 1 mbit", [limit(dev("node-4"), M)]),
    ("limit camera cam-7 and sensor hall-1 to 1 mbit", [limit(dev("cam-7", "hall-1"), M)]),
    ("limit esp32-cam-1 and meter_7 to 1 mbit", [limit(dev("esp32-cam-1", "meter_7"), M)]),
    (
        "limit cameras and devices tagged lab to 1 mbit",
        [limit([{"type": "camera"}, {"tag": "lab"}], M)],
    ),
    ("block 10.0.0.300", "bad_value"),
    # ---------------------------------------------------------------- bandwidth_guarantee
    ("guarantee 5 mbit for voip-1", [I("bandwidth_guarantee", dev("voip-1"), {"rate_bps": 5 * M})]),
    ("allocate 20 mbps to the nas", [I("bandwidth_guarantee", typ("nas"), {"rate_bps": 20 * M})]),
    (
        "reserve 2 MB/s of bandwidth for nas-1",
        [I("bandwidth_guarantee", dev("nas-1"), {"rate_bps": 16 * M})],
    ),
    (
        "Guarantee voip-1 at least 1 mbit",
        [I("bandwidth_guarantee", dev("voip-1"), {"rate_bps": M})],
    ),
    ("guarantee 5 kbit for voip-1", "out_of_range"),
    ("guarantee 5 mbit", "no_target"),
    # ---------------------------------------------------------------- priority
    ("prioritize doorbell-1", [prio(dev("doorbell-1"), 8)]),
    ("Prioritise DOORBELL-1", [prio(dev("DOORBELL-1"), 8)]),
    ("make pump-2 critical priority", [prio(dev("pump-2"), 10)]),
    ("set priority of fan-1 to 3", [prio(dev("fan-1"), 3)]),
    ("set priority of fan-1 to 1", [prio(dev("fan-1"), 1)]),
    ("set priority of fan-1 to 10", [prio(dev("fan-1"), 10)]),
    ("set priority of fan-1 to 0", "out_of_range"),
    ("set priority of fan-1 to 11", "out_of_range"),
    ("set priority of fan-1 to 2.5", "bad_value"),
    ("give cameras low priority", [prio(CAM, 2)]),
    ("give doorbell-1 medium priority", [prio(dev("doorbell-1"), 5)]),
    ("make pump-3 normal priority", [prio(dev("pump-3"), 5)]),
    ("high priority for doorbell-1", [prio(dev("doorbell-1"), 8)]),
    ("make pump-2 urgent", [prio(dev("pump-2"), 9)]),
    ("prioritize pump-1 as urgent", [prio(dev("pump-1"), 9)]),
    ("prioritize critical devices", [prio([{"tag": "critical"}], 8)]),
    ("prioritize", [prio([ALL], 8)]),
    ("give priority 4 to cameras", [prio(CAM, 4)]),
    # ---------------------------------------------------------------- low_latency
    ("minimize latency for pump-2", [I("low_latency", dev("pump-2"), {"target_ms": None})]),
    ("keep latency under 30 ms for robots", [I("low_latency", typ("robot"), {"target_ms": 30})]),
    ("Minimise latency", [I("low_latency", [ALL], {"target_ms": None})]),
    ("keep latency below 1 ms for pump-2", [I("low_latency", dev("pump-2"), {"target_ms": 1})]),
    ("keep latency under 10 s for pump-2", [I("low_latency", dev("pump-2"), {"target_ms": 10000})]),
    ("keep latency under 0 ms for pump-2", "out_of_range"),
    ("keep latency under 10001 ms for pump-2", "out_of_range"),
    ("keep latency under 30 for robots", "unknown_unit"),
    (
        "reduce latency of devices tagged control",
        [I("low_latency", [{"tag": "control"}], {"target_ms": None})],
    ),
    # ---------------------------------------------------------------- impair
    ("add 80 ms of delay to lab-7", [impair(dev("lab-7"), delay=80)]),
    ("add 200ms delay with 20ms jitter to lab-7", [impair(dev("lab-7"), delay=200, jitter=20)]),
    ("drop 2% of packets for lab-7", [impair(dev("lab-7"), loss=2.0)]),
    ("drop 0.5 percent of packets for lab-7", [impair(dev("lab-7"), loss=0.5)]),
    ("add 100 ms delay and 5% packet loss to lab-7", [impair(dev("lab-7"), delay=100, loss=5.0)]),
    ("add 0 ms delay to lab-7", [impair(dev("lab-7"), delay=0)]),
    ("add 10000 ms delay to lab-7", [impair(dev("lab-7"), delay=10000)]),
    ("add 10001 ms delay to lab-7", "out_of_range"),
    ("add 10.5 s of delay to lab-7", "out_of_range"),
    ("drop 100% of packets for lab-7", [impair(dev("lab-7"), loss=100.0)]),
    ("drop 0% of packets for lab-7", [impair(dev("lab-7"), loss=0.0)]),
    ("drop 101% of packets for lab-7", "out_of_range"),
    ("add 1.5 s of latency to lab-7", [impair(dev("lab-7"), delay=1500)]),
    ("add 50 ms jitter to lab-7", [impair(dev("lab-7"), jitter=50)]),
    ("delay lab-7 by 300 ms", [impair(dev("lab-7"), delay=300)]),
    ("add 80 ms delay", [impair([ALL], delay=80)]),
    ("add 2 m delay to lab-7", "ambiguous"),
    # ---------------------------------------------------------------- mqtt_qos
    ("use qos 0 for weather stations", [I("mqtt_qos", typ("weather_station"), {"level": 0})]),
    ("reliable delivery for boiler-1", [I("mqtt_qos", dev("boiler-1"), {"level": 1})]),
    ("exactly once delivery for meter-9", [I("mqtt_qos", dev("meter-9"), {"level": 2})]),
    ("at most once delivery for meter-9", [I("mqtt_qos", dev("meter-9"), {"level": 0})]),
    ("set qos of meter-9 to 2", [I("mqtt_qos", dev("meter-9"), {"level": 2})]),
    (
        "use MQTT QoS 1 for all temperature sensors",
        [I("mqtt_qos", typ("temperature_sensor"), {"level": 1})],
    ),
    (
        "please use at least once delivery for devices in the basement",
        [I("mqtt_qos", [{"location": "basement"}], {"level": 1})],
    ),
    ("use qos 3 for meter-9", "out_of_range"),
    ("use qos 1", "no_target"),
    # ---------------------------------------------------------------- report_interval
    (
        "send data every 2 minutes for all power meters",
        [I("report_interval", typ("power_meter"), {"send_interval_s": 120})],
    ),
    (
        "report every 30 s for meter-4",
        [I("report_interval", dev("meter-4"), {"send_interval_s": 30})],
    ),
    (
        "report every 1 s for meter-4",
        [I("report_interval", dev("meter-4"), {"send_interval_s": 1})],
    ),
    (
        "report every 1 hour for meter-4",
        [I("report_interval", dev("meter-4"), {"send_interval_s": 3600})],
    ),
    ("report every 0.5 s for meter-4", "out_of_range"),
    ("report every 61 min for meter-4", "out_of_range"),
    ("report every 1.5 s for meter-4", "bad_value"),
    (
        "set report interval of meter-4 to 5 minutes",
        [I("report_interval", dev("meter-4"), {"send_interval_s": 300})],
    ),
    (
        "make meter-4 report every 10 seconds",
        [I("report_interval", dev("meter-4"), {"send_interval_s": 10})],
    ),
    ("report every 30 s", "no_target"),
    # ---------------------------------------------------------------- sampling
    (
        "sample every 500 ms on meter-4",
        [I("sampling", dev("meter-4"), {"sampling_cadence_ms": 500})],
    ),
    (
        "set sampling interval for meter-4 to 2 seconds",
        [I("sampling", dev("meter-4"), {"sampling_cadence_ms": 2000})],
    ),
    (
        "sample every 100 ms on meter-4",
        [I("sampling", dev("meter-4"), {"sampling_cadence_ms": 100})],
    ),
    ("sample every 99 ms on meter-4", "out_of_range"),
    (
        "sample every 60 s on meter-4",
        [I("sampling", dev("meter-4"), {"sampling_cadence_ms": 60000})],
    ),
    ("sample every 61 s on meter-4", "out_of_range"),
    ("sample at 2 hz on meter-4", [I("sampling", dev("meter-4"), {"sampling_cadence_ms": 500})]),
    (
        "set sampling rate of meter-4 to 4 Hz",
        [I("sampling", dev("meter-4"), {"sampling_cadence_ms": 250})],
    ),
    ("sample at 1 khz on meter-4", "out_of_range"),
    ("sample at 3 hz on meter-4", "bad_value"),
    ("sample every 500 ms", "no_target"),
    # ---------------------------------------------------------------- power_saving
    (
        "enable power saving for battery sensors",
        [I("power_saving", typ("battery_sensor"), {"enabled": True})],
    ),
    (
        "turn off power saving on tracker-2",
        [I("power_saving", dev("tracker-2"), {"enabled": False})],
    ),
    (
        "disable power saving on tracker-2 and tracker-3",
        [I("power_saving", dev("tracker-2", "tracker-3"), {"enabled": False})],
    ),
    ("put trackers in power saving mode", [I("power_saving", typ("tracker"), {"enabled": True})]),
    (
        "turn power saving on for devices in the field",
        [I("power_saving", [{"location": "field"}], {"enabled": True})],
    ),
    ("enable power saving", "no_target"),
    # ---------------------------------------------------------------- device_setting
    ("set screen brightness to 40 for panel-1", [setting(dev("panel-1"), "screen_brightness", 40)]),
    ("set mode to eco for heater-2", [setting(dev("heater-2"), "mode", "eco")]),
    ("disable the speaker on panel-1", [setting(dev("panel-1"), "speaker_enabled", False)]),
    ("enable the speaker on panel-1", [setting(dev("panel-1"), "speaker_enabled", True)]),
    ("Set Mode to ECO on heater-2", [setting(dev("heater-2"), "mode", "eco")]),
    (
        "set display timeout of panel-1 to 5 minutes",
        [setting(dev("panel-1"), "display_timeout", 300)],
    ),
    ("set beep_ms to 1.5 s for panel-1", [setting(dev("panel-1"), "beep_ms", 1500)]),
    ("set speaker to off for panel-1", [setting(dev("panel-1"), "speaker", False)]),
    (
        "set target temperature to 21.5 for heater-2",
        [setting(dev("heater-2"), "target_temperature", 21.5)],
    ),
    ("set volume to 40% for panel-1", [setting(dev("panel-1"), "volume", 40)]),
    ("set mode to eco", "no_target"),
    ("set timeout to 5 furlongs for panel-1", "unknown_unit"),
    # ---------------------------------------------------------------- device_command
    ("reboot gateway-sensor-4", [cmd(dev("gateway-sensor-4"), "reboot")]),
    ("restart pump-1", [cmd(dev("pump-1"), "reboot")]),
    ("reset pump-1", [cmd(dev("pump-1"), "reboot")]),
    ("factory reset tracker-2", [cmd(dev("tracker-2"), "factory_reset")]),
    ("ask meter-4 for its status", [cmd(dev("meter-4"), "request_status")]),
    ("request status of meter-4", [cmd(dev("meter-4"), "request_status")]),
    ("upgrade meter-4 to firmware 2.3.1", [cmd(dev("meter-4"), "start_ota", "2.3.1")]),
    ("update firmware of meter-4 to version 2.4.0", [cmd(dev("meter-4"), "start_ota", "2.4.0")]),
    ("upgrade meter-4 to v3.0.0", [cmd(dev("meter-4"), "start_ota", "3.0.0")]),
    ("upgrade meter-4", [cmd(dev("meter-4"), "start_ota")]),
    ("reboot node-5 and node-6", [cmd(dev("node-5", "node-6"), "reboot")]),
    ("reboot pump-1, pump-2 and pump-3", [cmd(dev("pump-1", "pump-2", "pump-3"), "reboot")]),
    ("reboot sensor hall-1", [cmd(dev("hall-1"), "reboot")]),
    ("reboot device node-4", [cmd(dev("node-4"), "reboot")]),
    ("reboot camera cam-7", [cmd(dev("cam-7"), "reboot")]),
    ("reboot esp32-cam-1", [cmd(dev("esp32-cam-1"), "reboot")]),
    ("reboot meter_7", [cmd(dev("meter_7"), "reboot")]),
    (
        "Can you please reboot all the cameras in the garage?",
        [cmd(typ("camera", "garage"), "reboot")],
    ),
    ("reboot 00:11:22:AA:BB:CC", [cmd([{"mac": "00:11:22:aa:bb:cc"}], "reboot")]),
    ("reboot cam-*", [cmd([{"glob": "cam-*"}], "reboot")]),
    ("reboot", "no_target"),
    ("upgrade to firmware 2.3.1", "no_target"),
    # ---------------------------------------------------------------- device_state
    ("disable kiosk-3", [I("device_state", dev("kiosk-3"), {"enabled": False})]),
    ("enable device kiosk-3", [I("device_state", dev("kiosk-3"), {"enabled": True})]),
    ("turn off kiosk-3", [I("device_state", dev("kiosk-3"), {"enabled": False})]),
    (
        "disable kiosk-3 for 30 minutes",
        [I("device_state", dev("kiosk-3"), {"enabled": False}, duration_s=1800)],
    ),
    # ---------------------------------------------------------------- block / allow / unblock
    ("block 10.0.0.23", [block([{"ip": "10.0.0.23"}])]),
    ("block 10.0.0.0/24", [block([{"cidr": "10.0.0.0/24"}])]),
    ("cut tv-1 off from the internet", [block(dev("tv-1"), "internet")]),
    ("block tv-1 from the internet", [block(dev("tv-1"), "internet")]),
    ("block internet access for devices tagged guest", [block([{"tag": "guest"}], "internet")]),
    ("quarantine printer-2", [block(dev("printer-2"), "quarantine")]),
    ("put printer-2 into quarantine", [block(dev("printer-2"), "quarantine")]),
    ("block everything", [block([ALL])]),
    ("block", "no_target"),
    (
        "allow cam-4 to reach only 10.0.0.5 port 554",
        [I("allow_only", dev("cam-4"), {"destinations": [{"ip": "10.0.0.5", "port": 554}]})],
    ),
    (
        "allow cam-4 to reach only 10.0.0.5 port 554 tcp and 10.0.0.6",
        [
            I(
                "allow_only",
                dev("cam-4"),
                {
                    "destinations": [
                        {"ip": "10.0.0.5", "port": 554, "proto": "tcp"},
                        {"ip": "10.0.0.6"},
                    ]
                },
            )
        ],
    ),
    (
        "only allow cam-4 to reach 10.0.0.5:554",
        [I("allow_only", dev("cam-4"), {"destinations": [{"ip": "10.0.0.5", "port": 554}]})],
    ),
    ("allow cam-4 to reach only 10.0.0.5 port 70000", "out_of_range"),
    ("unblock 10.0.0.23", [I("unblock", [{"ip": "10.0.0.23"}], {})]),
    ("let printer-2 out of quarantine", [I("unblock", dev("printer-2"), {})]),
    ("release printer-2 from quarantine", [I("unblock", dev("printer-2"), {})]),
    # ---------------------------------------------------------------- revoke
    ("cancel intent 17", [I("revoke", [], {"intent_id": 17})]),
    ("revoke intent 0", "out_of_range"),
    ("remove all limits for camera-3", [I("revoke", dev("camera-3"), {"kind": "bandwidth_limit"})]),
    ("stop prioritizing doorbell-1", [I("revoke", dev("doorbell-1"), {"kind": "priority"})]),
    ("remove the delay from lab-7", [I("revoke", dev("lab-7"), {"kind": "impair"})]),
    ("remove all limits", [I("revoke", [ALL], {"kind": "bandwidth_limit"})]),
    # ---------------------------------------------------------------- schedules and durations
    (
        "limit cameras to 1 mbit between 22:00 and 06:00",
        [limit(CAM, M, schedule=sched("22:00", "06:00"))],
    ),
    (
        "limit cameras to 1 mbit from 9:00 to 17:00 on weekdays",
        [limit(CAM, M, schedule=sched("09:00", "17:00", EVERY_DAY[:5]))],
    ),
    (
        "every night from 23:00 to 06:00 limit cameras to 1 mbit",
        [limit(CAM, M, schedule=sched("23:00", "06:00"))],
    ),
    (
        "limit cameras to 1 mbit every night from 23:00 to 06:00",
        [limit(CAM, M, schedule=sched("23:00", "06:00"))],
    ),
    (
        "block tv-1 from the internet until 18:00",
        [block(dev("tv-1"), "internet", schedule=sched(None, "18:00"))],
    ),
    (
        "limit cameras to 1 mbit on weekends",
        [limit(CAM, M, schedule=sched(None, None, ["sat", "sun"]))],
    ),
    (
        "limit cameras to 1 mbit from 8:00 to 12:00 on monday, wednesday and friday",
        [limit(CAM, M, schedule=sched("08:00", "12:00", ["mon", "wed", "fri"]))],
    ),
    (
        "limit cameras to 1 mbit on sun and sat from 10:00 to 14:00",
        [limit(CAM, M, schedule=sched("10:00", "14:00", ["sat", "sun"]))],
    ),
    ("prioritize doorbell-1 for 2 hours", [prio(dev("doorbell-1"), 8, duration_s=7200)]),
    (
        "limit cameras to 1 mbit for 30 minutes between 22:00 and 06:00",
        [limit(CAM, M, schedule=sched("22:00", "06:00"), duration_s=1800)],
    ),
    ("limit cameras to 1 mbit between 25:00 and 06:00", "bad_value"),
    ("limit cameras to 1 mbit for 2 hours for 3 hours", "bad_value"),
    ("limit cameras to 1 mbit for 0.5 s", "bad_value"),
    # ---------------------------------------------------------------- compound sentences
    (
        "prioritize doorbell-1 and limit cameras to 1 mbit",
        [prio(dev("doorbell-1"), 8), limit(CAM, M)],
    ),
    (
        "limit cameras to 1 mbit and add 50 ms delay",
        [limit(CAM, M), impair(CAM, delay=50)],
    ),
    (
        "reboot node-5 and node-6 and disable kiosk-3",
        [
            cmd(dev("node-5", "node-6"), "reboot"),
            I("device_state", dev("kiosk-3"), {"enabled": False}),
        ],
    ),
    (
        "limit camera-1 and camera-2 to 2 mbit and prioritize doorbell-1",
        [limit(dev("camera-1", "camera-2"), 2 * M), prio(dev("doorbell-1"), 8)],
    ),
    (
        "quarantine printer-2, then reboot",
        [block(dev("printer-2"), "quarantine"), cmd(dev("printer-2"), "reboot")],
    ),
    (
        "prioritize doorbell-1 and cameras",
        [prio([{"device": "doorbell-1"}, {"type": "camera"}], 8)],
    ),
    (
        "reboot heater-2 and set mode to eco",
        [cmd(dev("heater-2"), "reboot"), setting(dev("heater-2"), "mode", "eco")],
    ),
    (
        "Block 10.0.0.23 AND unblock 10.0.0.24",
        [block([{"ip": "10.0.0.23"}]), I("unblock", [{"ip": "10.0.0.24"}], {})],
    ),
    ("set mode to eco and reboot heater-2", "no_target"),
    ("cancel intent 17 and reboot", "no_target"),
    # ---------------------------------------------------------------- refused text
    ("", "empty"),
    ("    ", "empty"),
    ("please", "empty"),
    ("reboot pump-1; rm -rf /", "bad_value"),
    ("reboot pump-1 | cat", "bad_value"),
    ("reboot $(pump)", "bad_value"),
    ("reboot `pump-1`", "bad_value"),
    ("reboot pump-1 && ls", "bad_value"),
    ("reboot pump-1 > out", "bad_value"),
    ("reboot pump-1 < in", "bad_value"),
    ("reboot pump\\1", "bad_value"),
    ("reboot\tpump-1", "bad_value"),
    ("reboot pump-1\x00", "bad_value"),
    ("reboot pump-1 #2", "bad_value"),
    ("reboot " + "x" * 494, "bad_value"),
    ("reboot " + " " * 487 + "pump-1", [cmd(dev("pump-1"), "reboot")]),
    # ---------------------------------------------------------------- not understood
    ("frobnicate the cameras", "no_intent"),
    ("limit cameras to 2 mbit quickly", "no_intent"),
    ("make coffee", "no_intent"),
    ("reboot pump-1 and", "no_intent"),
    ("limit", "no_intent"),
]

WARN: list[tuple[str, list[str]]] = [
    ("limit nas-1 to 5", ["Read the bare number 5 as 5 Mbit/s; add a unit to be sure."]),
    ("limit nas-1 to 2 mbit", []),
]

CASES += [
    (
        "reboot pump-1 and pump-2 and limit them to 1 mbit",
        [cmd(dev("pump-1", "pump-2"), "reboot"), limit(dev("pump-1", "pump-2"), M)],
    ),
    ("limit it to 1 mbit", "no_target"),
    ("reboot pump-1 and limit them and pump-3 to 1 mbit", "ambiguous"),
    ("throttle everything in the lab to 1 mbit", [limit([{"location": "lab"}], M)]),
    ("limit cameras to 0 mbit", "out_of_range"),
    ("limit cameras to 1 Mb/s", [limit(CAM, M)]),
    ("limit cameras to 1 mB/s", [limit(CAM, 8 * M)]),
    ("cap uploads of cameras at 2mbps", [limit(CAM, 2 * M, "up")]),
    ("make all critical devices high priority", [prio([{"tag": "critical"}], 8)]),
    ("set priority of fan-1 to high", [prio(dev("fan-1"), 8)]),
    ("give cameras high priority", [prio(CAM, 8)]),
    ("reboot the cameras now", "no_intent"),
    ("report every 2 m for meter-4", "ambiguous"),
    ("cancel intent 17.5", "bad_value"),
    (
        "limit cameras to 1 mbit, prioritize doorbell-1",
        [limit(CAM, M), prio(dev("doorbell-1"), 8)],
    ),
    (
        "set brightness to 40 on panel-1 and reboot",
        [setting(dev("panel-1"), "brightness", 40), cmd(dev("panel-1"), "reboot")],
    ),
    ("turn on kiosk-3", [I("device_state", dev("kiosk-3"), {"enabled": True})]),
    ("switch off kiosk-3", [I("device_state", dev("kiosk-3"), {"enabled": False})]),
]
