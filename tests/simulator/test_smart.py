"""Smart devices on a real broker: they declare their settings in every hello (the contract
of issue 21: ``settings``, a list of {key, type, unit, min/max or choices, names, verbs}),
take ``update_config`` of a declared key with an ack naming the new value, and answer every
command a device accepts — not only the power meters."""

from __future__ import annotations

import json

from core.protocol import Hello, Telemetry
from simulator import Fleet, FleetConfig
from tests.simulator.conftest import Recorder, SimBroker

RATE = 20.0
"""A hello every 0.75 s, telemetry every 1.5 s."""


def smart(broker: SimBroker, **counts: int) -> FleetConfig:
    return FleetConfig(brokers=[broker.url], counts=counts, rate=RATE, seed=2)


def hellos(recorder: Recorder, device_id: str) -> list[dict]:
    return [
        json.loads(m.payload)
        for m in recorder.messages
        if m.device_id == device_id and m.kind == "hello"
    ]


def test_every_hello_declares_the_settings_the_device_accepts(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(smart(sim_broker, doorcam=1, audio=1, co2=1, hvac=1)) as fleet:
        assert fleet.wait_connected(5)
        recorder.wait_for(lambda ms: all(hellos(recorder, d) for d in fleet.device_ids))
        recorder.wait_for(
            lambda ms: [m for m in recorder.v2("co2-001") if isinstance(m, Telemetry)]
        )

    declared = {
        d: {s["key"]: s for s in hellos(recorder, d)[0]["settings"]} for d in fleet.device_ids
    }
    assert set(declared["doorcam-001"]) == {"capture_interval_s", "resolution", "night_mode"}
    assert declared["doorcam-001"]["resolution"]["words"]["full hd"] == "1920x1080"
    capture = {"type": "number", "unit": "s", "min": 1, "max": 3600, "verbs": ["capture", "snap"]}
    assert {k: declared["doorcam-001"]["capture_interval_s"][k] for k in capture} == capture
    assert set(declared["mic-001"]) == {"gain_db", "sample_rate_hz"}
    assert declared["mic-001"]["sample_rate_hz"]["type"] == "integer"
    assert declared["co2-001"]["read_interval_s"]["measures"] == ["co2"]
    assert set(declared["hvac-001"]) == {"setpoint_c", "mode"}
    hello = next(m for m in recorder.v2("co2-001") if isinstance(m, Hello))  # still PROTOCOL.md
    assert hello.fw_version == "2.0.4"
    readings = next(m for m in recorder.v2("co2-001") if isinstance(m, Telemetry))
    assert {m.metric for m in readings.measurements} == {"co2", "temperature", "humidity"}


def test_a_declared_setting_is_checked_against_its_declaration(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(smart(sim_broker, doorcam=1, audio=1)) as fleet:
        assert fleet.wait_connected(5)
        command = recorder.command
        capture = recorder.ack(command("doorcam-001", "update_config", {"capture_interval_s": 3}))
        full_hd = recorder.ack(
            command("doorcam-001", "update_config", {"resolution": "full hd", "night_mode": True})
        )
        mixed = recorder.ack(
            command("mic-001", "update_config", {"gain_db": 24, "send_interval_s": 20})
        )
        too_loud = recorder.ack(command("mic-001", "update_config", {"gain_db": 60}))
        odd_rate = recorder.ack(command("mic-001", "update_config", {"sample_rate_hz": 22050.5}))
        unknown = recorder.ack(command("mic-001", "update_config", {"resolution": "hd"}))

    assert (capture.result, capture.detail) == (
        "accepted",
        "Config updated. New capture_interval_s=3.",
    )
    assert full_hd.detail == "Config updated. New resolution=1920x1080, night_mode=true."
    assert mixed.result == "accepted"
    assert mixed.detail == "Config updated. New send_interval_s=20, gain_db=24."
    assert (too_loud.result, too_loud.detail) == ("rejected", "gain_db must be 0-40 dB, got 60")
    assert odd_rate.result == "rejected" and "whole number" in (odd_rate.detail or "")
    assert unknown.result == "rejected"
    assert unknown.detail == "unknown setting resolution; mic-001 declares gain_db, sample_rate_hz"


def test_a_smart_device_answers_every_command_it_accepts(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    ota = {
        "fw_version": "3.2.0",
        "fw_url": "https://fw.example/hvac-3.2.0.bin",
        "fw_sha256": "cd" * 32,
        "fw_size_bytes": 524_288,
    }
    with Fleet(smart(sim_broker, hvac=1)) as fleet:
        assert fleet.wait_connected(5)
        acks = {
            cmd: recorder.ack(recorder.command("hvac-001", cmd, params))
            for cmd, params in [
                ("request_status", {}),
                ("update_config", {"setpoint_c": 19.5, "mode": "heating"}),
                ("start_ota", ota),
            ]
        }
        acks["reboot"] = recorder.ack(recorder.command("hvac-001", "reboot"))
        recorder.wait_for(lambda ms: len(_onlines(recorder)) >= 2)  # back from the reboot
        acks["factory_reset"] = recorder.ack(recorder.command("hvac-001", "factory_reset"))

    assert {cmd: ack.result for cmd, ack in acks.items()} == dict.fromkeys(acks, "accepted")
    assert acks["update_config"].detail == "Config updated. New setpoint_c=19.5, mode=heat."


def _onlines(recorder: Recorder) -> list:
    return [m for m in recorder.statuses("hvac-001") if m.decoded().online]
