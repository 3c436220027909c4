"""Resolving intent targets against a registry built with the factories."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.services.resolve import resolve_targets
from tests.factories import make_device


@pytest.fixture
def fleet(any_core):
    with any_core.db.writer() as session:
        make_device(
            session,
            id="camera-1",
            type="camera",
            location="garage",
            tags=["lab"],
            ip="10.0.0.21",
            mac="AA:BB:CC:DD:EE:01",
        )
        make_device(session, id="camera-2", type="camera_ptz", location="porch", ip="10.0.0.22")
        make_device(session, id="cameraman-1", type="cameraman", location="garage")
        make_device(
            session,
            id="meter-7",
            name="boiler meter",
            type="power_meter_dc",
            tags=["critical"],
            ip="10.0.1.7",
        )
        make_device(session, id="temp-3", type="temperature_sensor", location="Garage")
    return any_core


def resolve(core, targets):
    with core.db.reader() as session:
        return resolve_targets(session=session, targets=targets)


def ids(resolution):
    return [d.id for d in resolution.devices]


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ([{"device": "camera-1"}], ["camera-1"]),
        ([{"device": "boiler meter"}], ["meter-7"]),  # by name
        ([{"glob": "camera-*"}], ["camera-1", "camera-2"]),
        ([{"type": "camera"}], ["camera-1", "camera-2"]),  # subtypes, not "cameraman"
        ([{"type": "power_meter"}], ["meter-7"]),
        ([{"tag": "critical"}], ["meter-7"]),
        ([{"location": "garage"}], ["camera-1", "cameraman-1", "temp-3"]),  # any case
        ([{"type": "camera", "location": "garage"}], ["camera-1"]),  # every key must hold
        ([{"ip": "10.0.0.22"}], ["camera-2"]),
        ([{"cidr": "10.0.0.0/24"}], ["camera-1", "camera-2"]),
        ([{"mac": "aa-bb-cc-dd-ee-01"}], ["camera-1"]),
        ([{"device": "camera-1"}, {"device": "meter-7"}], ["camera-1", "meter-7"]),
        ([{"type": "camera"}, {"glob": "camera-1"}], ["camera-1", "camera-2"]),  # once each
        ([{"all": True}], ["camera-1", "camera-2", "cameraman-1", "meter-7", "temp-3"]),
    ],
)
def test_selectors_match_the_devices_the_spec_says(fleet, targets, expected):
    resolution = resolve(fleet, targets)
    assert ids(resolution) == expected
    assert resolution.warnings == []


def test_a_selector_that_matches_nothing_warns_with_close_names(fleet):
    resolution = resolve(fleet, [{"device": "camera-l"}, {"type": "camra"}])
    assert ids(resolution) == []
    assert "camera-1" in resolution.selectors[0].suggestions
    assert "camera" in resolution.selectors[1].suggestions
    assert resolution.warnings[0].startswith("no device matches device `camera-l`")
    assert "did you mean" in resolution.warnings[0]
    assert "camera-1" in resolution.warnings[0]


def test_an_unregistered_address_is_still_a_target(fleet):
    resolution = resolve(fleet, [{"ip": "10.0.0.99"}, {"cidr": "192.168.7.0/24"}])
    assert ids(resolution) == []
    assert resolution.addresses == ["10.0.0.99", "192.168.7.0/24"]
    assert resolution.warnings == []


@pytest.mark.parametrize(
    "selector", [{"colour": "red"}, {}, {"ip": "10.0.0.300"}, {"cidr": "not-a-net"}]
)
def test_malformed_selectors_are_refused(fleet, selector):
    with pytest.raises(InvalidInput):
        resolve(fleet, [selector])
