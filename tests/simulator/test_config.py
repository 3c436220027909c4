"""The parts of the simulator a person configures, and the pure pieces: no broker needed."""

from __future__ import annotations

import json
import random

import pytest

from core.protocol import ProtocolError, Reason, Telemetry, decode, encode
from core.protocol.messages import Measurement
from simulator import FAULTS, PRESETS, Fleet, FleetConfig, parse_faults
from simulator.faults import MALFORMED_VARIANTS, malformed_payload, renamed
from simulator.links import BrokerUrl, parse_broker_url
from simulator.sampler import Sampler
from simulator.sensors import count_values
from simulator.settings import MeterSettings, Rejected, updated, upgrade
from simulator.signals import DC_CHANNELS, Signals

BROKER = "mqtt://127.0.0.1:1883"


def test_parse_faults_reads_a_comma_separated_list() -> None:
    assert parse_faults("gaps, duplicates") == {"gaps", "duplicates"}
    assert parse_faults("wrong-ids") == {"wrong_ids"}
    assert parse_faults("all") == set(FAULTS)
    assert parse_faults("") == frozenset()


def test_parse_faults_names_the_unknown_ones() -> None:
    with pytest.raises(ValueError, match="unknown fault gremlins; choose from gaps"):
        parse_faults("gaps,gremlins")


@pytest.mark.parametrize(
    ("preset", "size"), [("home", 9), ("office", 16), ("factory", 30), ("meters", 10)]
)
def test_presets_have_their_sizes(preset: str, size: int) -> None:
    assert sum(PRESETS[preset].values()) == size
    assert len(Fleet(FleetConfig(brokers=[BROKER], preset=preset)).devices) == size


def test_device_ids_are_stable_and_numbered_per_kind() -> None:
    config = FleetConfig(brokers=[BROKER], counts={"ac_meter": 1, "dc_meter": 2, "camera": 1})
    ids = Fleet(config).device_ids
    assert ids == ["dc-meter-001", "dc-meter-002", "ac-meter-001", "cam-001"]
    assert Fleet(config).device_ids == ids


def test_the_same_seed_gives_the_same_readings() -> None:
    def readings(seed: int) -> list[dict[str, float]]:
        fleet = Fleet(FleetConfig(brokers=[BROKER], preset="meters", seed=seed))
        return [device.signals.sample() for device in fleet.devices for _ in range(3)]

    assert readings(7) == readings(7)
    assert readings(7) != readings(8)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("brokers", [], "at least one broker"),
        ("brokers", ["http://x"], "mqtt://"),
        ("preset", "castle", "unknown preset"),
        ("counts", {"toaster": 1}, "unknown device kind"),
        ("counts", {"camera": 0}, "at least one device"),
        ("rate", 0, "rate must be a positive"),
        ("faults", {"gaps", "gremlins"}, "unknown fault"),
        ("duration", -1, "duration must be"),
        ("qos", 0, "qos must be 1 or 2"),
        ("prefix", "iot/#", "prefix"),
    ],
)
def test_bad_configs_are_refused(field: str, value: object, message: str) -> None:
    arguments: dict[str, object] = {"brokers": [BROKER], field: value}
    with pytest.raises(ValueError, match=message):
        FleetConfig(**arguments)  # type: ignore[arg-type]


def test_config_accepts_faults_as_text() -> None:
    assert FleetConfig(brokers=[BROKER], faults="gaps,silence").faults == {"gaps", "silence"}


def test_broker_urls() -> None:
    assert parse_broker_url("mqtt://10.0.0.2") == BrokerUrl("10.0.0.2", 1883)
    assert parse_broker_url("mqtts://u:p%40ss@gw:8884") == BrokerUrl(
        "gw", 8884, tls=True, username="u", password="p@ss"
    )


SETTINGS = MeterSettings(1000, 10, 30, 1, (BrokerUrl("127.0.0.1", 1883),))


def test_update_config_changes_only_the_keys_given() -> None:
    settings, detail = updated(SETTINGS, {"send_interval_s": 15})
    assert settings.send_interval_s == 15
    assert settings.sampling_cadence_ms == 1000
    assert detail == "Config updated. New send_interval_s=15."


@pytest.mark.parametrize(
    "params",
    [
        {"send_interval_s": 0},
        {"send_interval_s": 3601},
        {"sampling_cadence_ms": 99},
        {"hello_interval_s": 4},
        {"mqtt_qos": 0},
        {"camera_fps": 10},
        {"brokers": []},
        {},
    ],
)
def test_update_config_rejects_what_protocol_md_forbids(params: dict[str, object]) -> None:
    with pytest.raises(Rejected):
        updated(SETTINGS, params)


def test_hellos_only_when_the_send_interval_exceeds_the_hello_interval() -> None:
    assert not SETTINGS.sends_hello
    assert updated(SETTINGS, {"send_interval_s": 60})[0].sends_hello
    assert not updated(SETTINGS, {"send_interval_s": 30})[0].sends_hello


def test_start_ota_needs_a_new_version() -> None:
    params = {
        "fw_version": "2.1.0",
        "fw_url": "https://fw.example/2.1.0.bin",
        "fw_sha256": "ab" * 32,
        "fw_size_bytes": 1000,
    }
    with pytest.raises(Rejected, match="already running"):
        upgrade(params, current="2.1.0")
    assert upgrade({**params, "fw_version": "2.2.0"}, current="2.1.0").fw_version == "2.2.0"
    with pytest.raises(Rejected, match="fw_url"):
        upgrade({**params, "fw_version": "2.2.0", "fw_url": None}, current="2.1.0")


VALID = encode(
    Telemetry(
        "dc-meter-001",
        1_770_890_410_000,
        142,
        (Measurement("voltage_dc", 1_770_890_401_000, 756.3, "V"),),
    )
)
EXPECTED_REASON = {
    "not_json": Reason.NOT_JSON,
    "not_utf8": Reason.NOT_UTF8,
    "wrong_type": Reason.WRONG_TYPE,
    "missing_field": Reason.MISSING_FIELD,
    "non_finite": Reason.NON_FINITE,
    "too_many_measurements": Reason.TOO_MANY_MEASUREMENTS,
}


@pytest.mark.parametrize("variant", MALFORMED_VARIANTS)
def test_each_malformed_variant_is_rejected_for_its_reason(variant: str) -> None:
    topic = "iot/dc-meter-001/telemetry"
    assert isinstance(decode(topic, VALID, received_ms=0), Telemetry)
    with pytest.raises(ProtocolError) as caught:
        decode(topic, malformed_payload(variant, VALID), received_ms=0)
    assert caught.value.reason is EXPECTED_REASON[variant]


def test_a_renamed_payload_fails_the_identity_check() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode("iot/dc-meter-001/telemetry", renamed(VALID, "dc-meter-001-x"), received_ms=0)
    assert caught.value.reason is Reason.IDENTITY_MISMATCH


def test_flat_values_count_numbers_and_booleans_at_any_depth() -> None:
    body = json.loads('{"ts": "x", "type": "t", "a": 1, "b": true, "n": {"c": 2.5, "s": "x"}}')
    assert count_values(body) == 3


def _sampler(capacity: int = 100) -> Sampler:
    return Sampler(Signals(DC_CHANNELS, random.Random(0)), capacity)


def test_samples_sit_on_an_exact_millisecond_grid() -> None:
    sampler = _sampler()
    sampler.restart(1_000_000, 1000 / 3)  # rate 3: a third of a second apart

    assert sampler.collect(1_002_000.4) == 0

    times = [ts for ts, _values in sampler.take(100)]
    assert times == [1_000_000, 1_000_333, 1_000_667, 1_001_000, 1_001_333, 1_001_667, 1_002_000]
    assert sampler.take(5) == []


def test_a_full_buffer_drops_the_oldest_samples() -> None:
    sampler = _sampler(capacity=10)
    sampler.restart(0, 0.01)  # faster than 1 kHz is slowed to 1 ms

    assert sampler.collect(24) == 15
    assert [ts for ts, _ in sampler.take(10)] == list(range(15, 25))
    assert sampler.usage_pct() == 0
