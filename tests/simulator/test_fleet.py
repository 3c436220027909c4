"""Whole fleets on real brokers: flat-JSON sensors, several brokers, flow control, stopping."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable

from core.protocol import FlatData, Status, Telemetry
from simulator import Fleet, FleetConfig, run_fleet
from simulator.sensors import count_values
from tests.simulator.conftest import Recorder, SimBroker

TYPES = {
    "temp": "temperature_sensor",
    "air": "air_quality",
    "cam": "camera",
    "lock": "door_lock",
    "thermo": "thermostat",
}


def test_flat_sensors_send_flat_json_the_protocol_reads(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    counts = {"temperature": 1, "air_quality": 1, "camera": 1, "door_lock": 1, "thermostat": 1}
    config = FleetConfig(brokers=[sim_broker.url], counts=counts, rate=100.0, duration=1.5)

    summary = run_fleet(config)
    recorder.settle()

    data = [m for m in recorder.messages if m.kind == "data"]
    seen = {m.device_id for m in data}
    assert seen == {"temp-001", "air-001", "cam-001", "lock-001", "thermo-001"}
    for received in data:
        flat = received.decoded()
        assert isinstance(flat, FlatData)
        stem = received.device_id.rsplit("-", 1)[0]
        assert flat.attributes["type"] == TYPES[stem]
        assert abs(flat.ts_ms - received.arrived * 1000) < 1000  # its own time, not arrival
        assert len(flat.measurements) == count_values(json.loads(received.payload))
    assert not [m for m in recorder.messages if m.kind == "status"]  # legacy: no status
    assert summary.totals.data_messages == len(data)
    assert summary.totals.data_values == sum(len(m.decoded().measurements) for m in data)
    assert summary.totals.telemetry_messages == 0


def test_every_message_goes_to_every_broker(
    start_broker: Callable[[], SimBroker], sim_broker: SimBroker, recorder: Recorder
) -> None:
    second = start_broker()
    other = Recorder(second)
    try:
        config = FleetConfig(
            brokers=[sim_broker.url, second.url], preset="home", rate=50.0, duration=1.5
        )
        summary = run_fleet(config)
        recorder.settle()
        other.settle()
    finally:
        other.close()

    def payloads(subscriber: Recorder) -> Counter[bytes]:
        return Counter(m.payload for m in subscriber.messages if m.kind != "status")

    assert payloads(recorder) == payloads(other)
    assert sum(payloads(recorder).values()) > 0
    hellos = [m for m in recorder.v2() if hasattr(m, "broker_connections")]
    assert all(m.broker_connections == 2 for m in hellos)
    assert summary.totals.broker_publishes == len(recorder.messages) + len(other.messages)


def test_a_tight_unacknowledged_cap_loses_nothing(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    config = FleetConfig(
        brokers=[sim_broker.url],
        counts={"ac_meter": 2},
        rate=2000.0,  # a message every 5 ms per meter, acks awaited after every second
        max_unacked=2,
        duration=1.5,
    )

    summary = run_fleet(config)
    recorder.settle()

    sent = [m for m in recorder.v2() if isinstance(m, Telemetry)]
    assert len(sent) == summary.totals.telemetry_messages > 50
    assert sum(len(m.measurements) for m in sent) == summary.totals.measurements
    assert summary.totals.unconfirmed == 0


def test_run_fleet_stops_when_told(sim_broker: SimBroker, recorder: Recorder) -> None:
    stop = threading.Event()
    config = FleetConfig(brokers=[sim_broker.url], counts={"dc_meter": 1}, rate=50.0)
    box = []
    runner = threading.Thread(target=lambda: box.append(run_fleet(config, stop)))
    runner.start()
    recorder.wait_for(lambda ms: [m for m in ms if m.kind == "telemetry"])
    stop.set()
    runner.join(10)
    recorder.settle()

    assert not runner.is_alive()
    assert box[0].totals.telemetry_messages >= 1
    goodbye = recorder.statuses("dc-meter-001")[-1].decoded()
    assert not goodbye.online  # a clean stop says offline itself


def test_summary_is_json_with_per_device_and_total_counts(sim_broker: SimBroker) -> None:
    config = FleetConfig(brokers=[sim_broker.url], preset="home", rate=50.0, duration=1.0)
    with Fleet(config) as fleet:
        assert fleet.wait_connected(5)
        live = fleet.summary()
    final = json.loads(fleet.summary().to_json())

    assert len(live.devices) == 9
    assert {d["device_id"] for d in final["devices"]} == set(fleet.device_ids)
    assert final["totals"]["published"]["status"] == 2 * 2  # two meters: online, offline
    assert final["totals"]["telemetry_messages"] == sum(
        d["counters"]["telemetry_messages"] for d in final["devices"]
    )


def test_devices_reconnect_when_their_broker_comes_back(
    start_broker: Callable[..., SimBroker], sim_broker: SimBroker, recorder: Recorder
) -> None:
    config = FleetConfig(brokers=[sim_broker.url], counts={"dc_meter": 1}, rate=50.0)
    with Fleet(config) as fleet:
        assert fleet.wait_connected(5)
        recorder.wait_for(lambda ms: [m for m in ms if m.kind == "telemetry"])
        sim_broker.stop()
        start_broker(port=sim_broker.port)  # the recorder reconnects and subscribes again
        recorder.wait_for(lambda ms: len(recorder.statuses("dc-meter-001")) == 2, timeout=10)
        last = max(m.seq for m in recorder.v2("dc-meter-001"))
        recorder.wait_for(lambda ms: max(m.seq for m in recorder.v2("dc-meter-001")) > last)
    summary = fleet.summary()
    recorder.settle()

    statuses = [m.decoded() for m in recorder.statuses("dc-meter-001")]
    assert [isinstance(m, Status) and m.online for m in statuses] == [True, True, False]
    seqs = [m.seq for m in recorder.v2("dc-meter-001")]
    assert seqs == sorted(seqs) and seqs[0] == 0  # the same boot: seq goes on, no restart
    assert summary.device("dc-meter-001").boots == 1
