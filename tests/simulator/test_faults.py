"""Injected faults on a real broker: the subscriber sees exactly what the summary says was
injected, and the valid messages still add up."""

from __future__ import annotations

import itertools
from collections import Counter

from core.protocol import ProtocolError, Reason, Status, Telemetry
from simulator import FleetConfig, run_fleet
from simulator.faults import MAX_GAP
from tests.simulator.conftest import Recorder, SimBroker

DEVICES = {"dc_meter": 2, "ac_meter": 1}


def faulty(broker: SimBroker, faults: str, **overrides: object) -> FleetConfig:
    options: dict[str, object] = {
        "brokers": [broker.url],
        "counts": DEVICES,
        "rate": 50.0,
        "seed": 3,
        "faults": faults,
        "fault_rate": 8.0,  # gaps and duplicates: 40 % of telemetry messages
        "duration": 1.5,
    }
    return FleetConfig(**(options | overrides))  # type: ignore[arg-type]


def valid_telemetry(recorder: Recorder) -> list[Telemetry]:
    return [m for m in recorder.v2() if isinstance(m, Telemetry)]


def test_duplicates_repeat_a_seq_and_are_counted(sim_broker: SimBroker, recorder: Recorder) -> None:
    summary = run_fleet(faulty(sim_broker, "duplicates"))
    recorder.settle()

    sent = valid_telemetry(recorder)
    copies = Counter((m.device_id, m.seq) for m in sent)
    repeated = sum(count - 1 for count in copies.values())
    assert repeated == summary.totals.duplicates > 0
    assert len(copies) == summary.totals.telemetry_messages
    assert summary.totals.published["telemetry"] == len(sent)
    unique = {(m.device_id, m.seq): m for m in sent}.values()
    assert summary.totals.measurements == sum(len(m.measurements) for m in unique)


def test_gaps_skip_as_many_seqs_as_the_summary_says(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    summary = run_fleet(faulty(sim_broker, "gaps"))
    recorder.settle()

    for device in summary.devices:
        seqs = [-1, *(m.seq for m in recorder.v2(device.device_id))]  # a boot starts at 0
        jumps = [b - a for a, b in itertools.pairwise(seqs)]
        assert all(1 <= jump <= MAX_GAP + 1 for jump in jumps)
        assert sum(jump - 1 for jump in jumps) == device.counters.seqs_skipped
        assert sum(jump > 1 for jump in jumps) == device.counters.gaps
    assert summary.totals.gaps > 0
    assert summary.totals.telemetry_messages == len(valid_telemetry(recorder))


def test_malformed_and_wrong_ids_are_rejected_by_the_protocol(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    summary = run_fleet(faulty(sim_broker, "malformed,wrong_ids", fault_rate=10.0))
    recorder.settle()

    errors = [m.decoded() for m in recorder.messages if m.kind == "telemetry"]
    reasons = Counter(e.reason for e in errors if isinstance(e, ProtocolError))
    wrong = reasons.pop(Reason.IDENTITY_MISMATCH, 0)
    assert wrong == summary.totals.wrong_ids > 0
    assert sum(reasons.values()) == summary.totals.malformed > 0
    assert summary.totals.telemetry_messages == len(valid_telemetry(recorder))
    for device in summary.devices:  # the broken extras use no seq: no gaps appear
        seqs = [m.seq for m in recorder.v2(device.device_id)]
        assert seqs == list(range(len(seqs)))


def test_injected_reboots_fire_the_last_will_and_restart_seq(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    config = faulty(sim_broker, "reboots", fault_rate=20.0, duration=2.0)  # 20 % per send

    summary = run_fleet(config)
    recorder.settle()

    assert summary.totals.reboots > 0
    for device in summary.devices:
        received = [m for m in recorder.messages if m.device_id == device.device_id]
        boots, offline, seqs = 0, 0, []
        for message in received:
            decoded = message.decoded()
            if isinstance(decoded, Status):
                boots += decoded.online
                offline += not decoded.online
            elif message.kind != "command":
                seqs.append((boots, decoded.seq))
        assert boots == device.boots == device.counters.reboots + 1
        assert offline == boots  # a last will per power cut, plus the final goodbye
        for _boot, group in itertools.groupby(seqs, key=lambda pair: pair[0]):
            numbers = [seq for _, seq in group]
            assert numbers == list(range(len(numbers)))


def test_silence_stops_a_device_for_longer_than_its_liveness_period(
    sim_broker: SimBroker, recorder: Recorder
) -> None:
    config = faulty(sim_broker, "silence", rate=100.0, fault_rate=30.0, duration=2.0)

    summary = run_fleet(config)
    recorder.settle()

    assert summary.totals.silences > 0
    longest_gap_ms = 0
    for device in summary.devices:
        times = [m.ts_ms for m in recorder.v2(device.device_id)]
        longest_gap_ms = max([longest_gap_ms, *(b - a for a, b in itertools.pairwise(times))])
    # Offline after 2 x max(send 10 s, hello 30 s) = 60 s nominal: 0.6 s at rate 100.
    assert longest_gap_ms > 600
    assert summary.totals.telemetry_messages == len(valid_telemetry(recorder))
