"""Power meters on a real broker: what a plain subscriber sees is PROTOCOL.md v2."""

from __future__ import annotations

import itertools
from collections import Counter

from core.protocol import CommandAck, Hello, OtaStatus, ProtocolError, Status, Telemetry
from core.protocol.messages import MAX_MEASUREMENTS
from simulator import Fleet, FleetConfig, run_fleet
from tests.simulator.conftest import Received, Recorder, SimBroker

RATE = 50.0
"""Fifty times faster: a 10 s send interval is 0.2 s, a 30 s hello interval 0.6 s."""


def meters(broker: SimBroker, **overrides: object) -> FleetConfig:
    options: dict[str, object] = {
        "brokers": [broker.url],
        "counts": {"dc_meter": 1},
        "rate": RATE,
        "seed": 1,
    }
    return FleetConfig(**(options | overrides))  # type: ignore[arg-type]


def telemetry(recorder: Recorder, device_id: str) -> list[Telemetry]:
    return [m for m in recorder.v2(device_id) if isinstance(m, Telemetry)]


def test_a_meters_fleet_speaks_v2(sim_broker: SimBroker, recorder: Recorder) -> None:
    # dc-meter-003 batches a minute (send 60 s > hello 30 s) and so sends hellos.
    config = meters(sim_broker, counts={"dc_meter": 3, "ac_meter": 1}, duration=2.5)

    summary = run_fleet(config)
    recorder.settle()

    received = recorder.messages
    v2 = [m for m in received if m.kind != "data"]
    assert v2 and all(not isinstance(m.decoded(), ProtocolError) for m in v2)
    for device_id in ("dc-meter-001", "dc-meter-002", "dc-meter-003", "ac-meter-001"):
        seqs = [m.seq for m in recorder.v2(device_id)]
        assert seqs == list(range(len(seqs))), device_id  # +1 per message of any type
        statuses = [m.decoded() for m in recorder.statuses(device_id)]
        assert [s.online for s in statuses if isinstance(s, Status)] == [True, False]
    kinds = Counter((m.device_id, type(m.decoded()).__name__) for m in v2)
    assert kinds["dc-meter-001", "Hello"] == 0  # telemetry is its heartbeat
    assert kinds["dc-meter-003", "Hello"] >= 2
    assert kinds["dc-meter-003", "Telemetry"] >= 1
    hello = next(m for m in recorder.v2("dc-meter-003") if isinstance(m, Hello))
    assert (hello.fw_version, hello.broker_connections) == ("2.1.0", 1)
    sent = [m for m in recorder.v2() if isinstance(m, Telemetry)]
    assert all(0 < len(m.measurements) <= MAX_MEASUREMENTS for m in sent)
    assert {x.metric for x in telemetry(recorder, "ac-meter-001")[0].measurements} == {
        "voltage_ac",
        "current_ac",
        "frequency",
        "pf",
        "thd_v",
        "thd_i",
    }
    assert summary.totals.telemetry_messages == len(sent)
    assert summary.totals.measurements == sum(len(m.measurements) for m in sent)
    assert summary.totals.published["hello"] == kinds["dc-meter-003", "Hello"]
    assert summary.totals.unconfirmed == 0


def test_status_online_is_retained_for_late_subscribers(sim_broker: SimBroker) -> None:
    with Fleet(meters(sim_broker)) as fleet:
        assert fleet.wait_connected(5)
        late = Recorder(sim_broker)
        try:
            status = late.wait_for(lambda ms: [m for m in ms if m.kind == "status"])[0]
        finally:
            late.close()
    assert status.retain
    assert isinstance(message := status.decoded(), Status)
    assert message.online and message.seq is None


def test_a_power_cut_delivers_the_retained_last_will(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(meters(sim_broker)) as fleet:
        assert fleet.wait_connected(5)
        recorder.wait_for(lambda ms: telemetry(recorder, "dc-meter-001"))
        fleet.power_cut("dc-meter-001")  # no DISCONNECT: only the broker can say offline
        will = recorder.wait_for(lambda ms: _offline(recorder.statuses("dc-meter-001")))
        assert will.decoded().device_id == "dc-meter-001"

    late = Recorder(sim_broker)
    try:
        retained = late.wait_for(lambda ms: [m for m in ms if m.kind == "status"])[0]
    finally:
        late.close()
    assert retained.retain and _offline([retained])


def _offline(statuses: list[Received]) -> Received | None:
    for received in statuses:
        message = received.decoded()
        if isinstance(message, Status) and not message.online:
            return received
    return None


def test_update_config_changes_cadence_and_interval(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(meters(sim_broker, rate=10)) as fleet:  # 10 samples 100 ms apart per second
        assert fleet.wait_connected(5)
        before = recorder.wait_for(lambda ms: telemetry(recorder, "dc-meter-001"))[0]
        cmd_id = recorder.command(
            "dc-meter-001", "update_config", {"send_interval_s": 2, "sampling_cadence_ms": 500}
        )
        ack = recorder.ack(cmd_id)
        assert ack.result == "accepted"
        assert "send_interval_s=2" in (ack.detail or "")
        # The first message after the ack still carries samples taken before it.
        after = recorder.wait_for(lambda ms: _later(recorder, ack.seq, 4))[1:]

    assert _spacing_ms(before) == {100}
    assert all(_spacing_ms(message) <= {50} for message in after)  # 500 ms at rate 10
    gaps = [b.ts_ms - a.ts_ms for a, b in itertools.pairwise(after)]
    assert max(gaps) < 600 and 150 <= sum(gaps) / len(gaps) <= 300, gaps  # 2 s at rate 10


def _later(recorder: Recorder, seq: int, count: int) -> list[Telemetry] | None:
    found = [m for m in telemetry(recorder, "dc-meter-001") if m.seq > seq]
    return found[:count] if len(found) >= count else None


def _spacing_ms(message: Telemetry) -> set[int]:
    times = sorted({m.ts_ms for m in message.measurements})
    return {b - a for a, b in itertools.pairwise(times)}


def test_out_of_range_config_is_rejected_and_changes_nothing(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(meters(sim_broker)) as fleet:
        assert fleet.wait_connected(5)
        results = {
            key: recorder.ack(recorder.command("dc-meter-001", "update_config", {key: value}))
            for key, value in [("send_interval_s", 0), ("sampling_cadence_ms", 50)]
        }
        unknown = recorder.ack(recorder.command("dc-meter-001", "self_destruct"))
        recorder.wait_for(lambda ms: len(telemetry(recorder, "dc-meter-001")) >= 2)
    recorder.settle()

    assert {ack.result for ack in results.values()} == {"rejected"}
    assert "send_interval_s" in (results["send_interval_s"].detail or "")
    assert unknown.result == "unsupported"
    assert all(_spacing_ms(m) <= {20} for m in telemetry(recorder, "dc-meter-001"))


def test_request_status_is_answered_by_a_hello_at_once(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(meters(sim_broker)) as fleet:  # dc-meter-001 sends no hellos by itself
        assert fleet.wait_connected(5)
        ack = recorder.ack(recorder.command("dc-meter-001", "request_status"))
        hello = recorder.wait_for(
            lambda ms: [m for m in recorder.v2("dc-meter-001") if isinstance(m, Hello)]
        )[0]
    assert ack.result == "accepted"
    assert hello.seq == ack.seq + 1


def test_start_ota_walks_through_its_states(sim_broker: SimBroker, recorder: Recorder) -> None:
    params = {
        "fw_version": "2.2.0",
        "fw_url": "https://fw.example/2.2.0.bin",
        "fw_sha256": "ab" * 32,
        "fw_size_bytes": 1_048_576,
    }
    with Fleet(meters(sim_broker)) as fleet:
        assert fleet.wait_connected(5)
        cmd_id = recorder.command("dc-meter-001", "start_ota", params)
        assert recorder.ack(cmd_id).result == "accepted"
        states = recorder.wait_for(lambda ms: _ota(recorder, cmd_id, "success"))
        again = recorder.ack(recorder.command("dc-meter-001", "request_status"))
        hello = recorder.wait_for(
            lambda ms: [m for m in recorder.v2("dc-meter-001") if isinstance(m, Hello)]
        )[0]
        bad = params | {"fw_version": "2.3.0", "fw_sha256": "0" * 64}
        failing = recorder.command("dc-meter-001", "start_ota", bad)
        failed = recorder.wait_for(lambda ms: _ota(recorder, failing, "failed"))

    assert [(s.ota_state, s.progress_pct) for s in states] == [
        ("downloading", 0),
        ("downloading", 50),
        ("downloading", 100),
        ("verifying", 100),
        ("applying", 100),
        ("success", 100),
    ]
    assert {s.fw_version_target for s in states} == {"2.2.0"}
    assert again.result == "accepted" and hello.fw_version == "2.2.0"
    assert [s.ota_state for s in failed][-2:] == ["downloading", "failed"]
    assert failed[-1].detail == "sha256 mismatch"


def _ota(recorder: Recorder, cmd_id: str, last: str) -> list[OtaStatus] | None:
    states = [
        m for m in recorder.v2("dc-meter-001") if isinstance(m, OtaStatus) and m.cmd_id == cmd_id
    ]
    return states if states and states[-1].ota_state == last else None


def test_reboot_restarts_seq_at_zero_with_a_new_boot(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(meters(sim_broker)) as fleet:
        assert fleet.wait_connected(5)
        recorder.wait_for(lambda ms: len(telemetry(recorder, "dc-meter-001")) >= 2)
        ack = recorder.ack(recorder.command("dc-meter-001", "reboot"))
        recorder.wait_for(
            lambda ms: len([m for m in recorder.v2("dc-meter-001") if m.seq == 0]) >= 2
        )
    summary = fleet.summary()
    recorder.settle()

    assert ack.result == "accepted" and ack.seq > 0
    seqs = [m.seq for m in recorder.v2("dc-meter-001")]
    restart = seqs.index(0, 1)
    assert seqs[:restart] == list(range(restart))
    assert seqs[restart:] == list(range(len(seqs) - restart))
    onlines = [m for m in recorder.statuses("dc-meter-001") if m.decoded().online]
    assert len(onlines) == 2  # one per boot
    device = summary.device("dc-meter-001")
    assert (device.boots, device.counters.reboots, device.counters.acks) == (
        2,
        1,
        {"accepted": 1},
    )


def test_a_command_arriving_twice_is_applied_once(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    with Fleet(meters(sim_broker)) as fleet:
        assert fleet.wait_connected(5)
        cmd_id = recorder.command("dc-meter-001", "update_config", {"send_interval_s": 5})
        recorder.ack(cmd_id)
        payload = next(m for m in recorder.messages if m.kind == "command").payload
        recorder.publish("iot/dc-meter-001/command", payload)  # as through a second broker
        recorder.wait_for(
            lambda ms: len([m for m in recorder.v2() if isinstance(m, CommandAck)]) == 2
        )
    recorder.settle()
    acks = [m for m in recorder.v2() if isinstance(m, CommandAck)]
    assert [(a.cmd_id, a.result) for a in acks] == [(cmd_id, "accepted")] * 2
    assert fleet.summary().totals.commands_received == 1
