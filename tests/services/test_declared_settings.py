"""Settings a device declares in its hello: stored on the device by the ingest writer, then
the ground of intents that name them ("capture every 3 s for doorcam-2") and of refusals
that list what the device does declare. Parse errors suggest this registry's devices."""

from __future__ import annotations

import json
import threading

import pytest

from core.models import Device
from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.services import intent_preview, intents
from core.services.intents import IntentNotUnderstood, IntentRefused
from simulator.declared import DECLARATIONS, DEFAULTS
from simulator.presets import AUDIO, CO2, DOORCAM
from tests.factories import FakeClock, actor, make_device


def hello(device_id: str, kind: str, seq: int = 1) -> bytes:
    settings = [{**d, "value": DEFAULTS[d["key"]]} for d in DECLARATIONS[kind]]
    return json.dumps(
        {
            "v": 2,
            "device_id": device_id,
            "ts": "2026-02-12T10:00:30Z",
            "seq": seq,
            "msg_type": "hello",
            "fw_version": "1.0.0",
            "uptime_s": 10,
            "broker_connections": 1,
            "buf_usage_pct": 1,
            "settings": settings,
        }
    ).encode()


@pytest.fixture
def fleet(core):
    with core.db.writer() as session:
        make_device(session, id="doorcam-2", type="camera", ip="10.0.0.12")
        make_device(session, id="mic-2", type="audio", ip="10.0.0.13")
        make_device(session, id="air-3", type="sensor_co2", ip="10.0.0.14")
        make_device(session, id="meter-1", type="power_meter", ip="10.0.0.15")
    writer = IngestWriter(core.db, prefix="iot", max_payload_bytes=262_144, clock=core.clock)
    done = threading.Event()
    acked: list[int] = []

    def ack() -> None:
        acked.append(1)
        if len(acked) == 3:
            done.set()

    writer.start()
    for device_id, kind in (("doorcam-2", DOORCAM), ("mic-2", AUDIO), ("air-3", CO2)):
        writer.submit(
            RawMessage(
                topic=f"iot/{device_id}/hello",
                payload=hello(device_id, kind),
                received_ms=1_770_890_430_000,
                ack=ack,
            )
        )
    assert done.wait(15)
    writer.stop()
    return core


def plan(core, text):
    with core.db.reader() as session:
        return intents.plan(session=session, text=text, features=None)


def test_the_hello_declaration_is_stored_on_the_device(fleet):
    with fleet.db.reader() as session:
        stored = session.get(Device, "doorcam-2")
        assert stored is not None
        assert [s["key"] for s in stored.settings] == [d["key"] for d in DECLARATIONS[DOORCAM]]
        meter = session.get(Device, "meter-1")
        assert meter is not None and meter.settings == []


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("capture every 3 s for doorcam-2", "capture_interval_s", 3),
        ("set the resolution of doorcam-2 to full hd", "resolution", "1920x1080"),
        ("double the gain of mic-2", "gain_db", 24),
        ("read co2 every 30 seconds for air-3", "read_interval_s", 30),
        ("set the sample rate of mic-2 to 22050 hz", "sample_rate_hz", 22050),
        ("turn on night mode for doorcam-2", "night_mode", True),
    ],
)
def test_sentences_are_grounded_in_the_declaration(fleet, text, key, value):
    planned = plan(fleet, text)
    assert planned.ok, planned.refusals
    (policy,) = planned.policies
    assert policy.spec.params == {key: value}


def test_grounded_intents_are_stored_as_grounded(fleet):
    with fleet.db.writer() as session:
        (stored,), _ = intents.submit(
            session=session,
            text="set the resolution of doorcam-2 to hd",
            actor=actor(),
            now=FakeClock().now(),
            features=None,
        )
    assert stored.parsed.params.model_dump() == {"key": "resolution", "value": "1280x720"}
    assert "1280x720" in stored.explanation


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("set the gain of doorcam-2 to 3", ["capture interval", "resolution", "night mode"]),
        ("capture every 2 hours for doorcam-2", ["1-3600 s"]),
        ("set the resolution of doorcam-2 to ultra", ["640x480", "full hd"]),
        ("set the sample rate of mic-2 to 96 khz", ["8000-48000 Hz"]),
        ("sample at 22 khz on air-3", ["read interval"]),
    ],
)
def test_what_a_device_does_not_declare_is_refused_naming_what_it_does(fleet, text, named):
    planned = plan(fleet, text)
    assert not planned.ok
    (refusal,) = planned.refusals
    assert all(word in refusal for word in named), refusal
    assert planned.policies == []  # nothing of a refused setting is planned
    with fleet.db.writer() as session, pytest.raises(IntentRefused):
        intents.submit(
            session=session, text=text, actor=actor(), now=FakeClock().now(), features=None
        )


def test_a_device_that_declares_nothing_takes_the_setting_as_said(fleet):
    planned = plan(fleet, "set mode to eco for meter-1")
    assert planned.ok
    (policy,) = planned.policies
    assert policy.spec.params == {"mode": "eco"}


def test_the_preview_explains_the_grounded_value_and_says_refusals(fleet):
    with fleet.db.reader() as session:
        shown = intent_preview.preview(session=session, text="set resolution of doorcam-2 to vga")
        refused = intent_preview.preview(session=session, text="double the gain of doorcam-2")
    assert "640x480" in shown.intents[0].explanation
    assert any("declares no setting 'gain'" in w for w in refused.warnings)


def test_parse_errors_suggest_the_registry_devices_and_never_show_a_code(fleet):
    with fleet.db.reader() as session:
        shown = intent_preview.preview(session=session, text="reboot")
        typo = intent_preview.preview(session=session, text="prioritise doorcam-3 now")
        with pytest.raises(IntentNotUnderstood) as caught:
            intents.plan(session=session, text="frobnicate doorcam-2", features=None)
    assert shown.error is not None and typo.error is not None
    fleet_names = {"doorcam-2", "mic-2", "air-3", "meter-1"}
    assert any(name in shown.error.message for name in fleet_names)
    assert "pump-1" not in shown.error.message
    assert all(any(n in s for n in fleet_names) for s in shown.error.suggestions)
    assert any("doorcam-2" in s for s in typo.error.suggestions)
    assert "no_intent" not in caught.value.msg and "doorcam-2" in caught.value.msg
