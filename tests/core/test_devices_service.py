"""The fleet registry as an operator sees it: devices appear when they speak, come back
online, are found by id or name (with a hint on a typo), filtered, edited and disabled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from core.errors import DeviceNotFound, InvalidInput
from core.models import ChangePublic, DeviceCreate, DeviceFilter, DeviceStatus, DeviceUpdate
from core.runtime import Core
from core.services import devices
from core.services.changes import list_changes
from tests.factories import FakeClock, actor, make_device


@pytest.fixture
def session(any_core: Core) -> Iterator[Session]:
    with any_core.db.writer() as opened:
        yield opened


def changes(session: Session) -> list[ChangePublic]:
    return list_changes(session=session)


def kinds(session: Session) -> list[tuple[str, str]]:
    return [(c.kind, c.entity_id) for c in changes(session)]


def ids(found: list) -> list[str]:  # type: ignore[type-arg]
    return [d.id for d in found]


# ---------------------------------------------------------------- a device speaks


def test_first_contact_registers_an_online_device(session: Session, clock: FakeClock) -> None:
    device = devices.record_seen(
        session=session,
        device_id="meter-1",
        seen_at=clock.now(),
        device_type="power_meter",
        firmware="1.0.0",
    )

    assert device.id == device.name == "meter-1"
    assert device.type == "power_meter"
    assert device.firmware == "1.0.0"
    assert device.status is DeviceStatus.ONLINE
    assert device.last_seen == clock.now()
    assert kinds(session) == [("device.registered", "meter-1")]
    assert changes(session)[0].actor == "collector"


def test_seen_again_changes_nothing_anyone_must_hear_about(
    session: Session, clock: FakeClock
) -> None:
    devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())
    clock.advance(30)

    device = devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())

    assert device.last_seen == clock.now()
    assert len(changes(session)) == 1
    assert devices.get_device(session=session, ref="meter-1").last_seen == clock.now()


def test_a_late_message_does_not_move_last_seen_back(session: Session, clock: FakeClock) -> None:
    devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())

    device = devices.record_seen(
        session=session, device_id="meter-1", seen_at=clock.now() - timedelta(minutes=5)
    )

    assert device.last_seen == clock.now()


def test_offline_device_seen_again_comes_back_online(session: Session, clock: FakeClock) -> None:
    devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())
    offline = devices.mark_offline(
        session=session, device_id="meter-1", reason="silent for 5 min", actor=actor()
    )
    assert offline.status is DeviceStatus.OFFLINE
    clock.advance(600)

    device = devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())

    assert device.status is DeviceStatus.ONLINE
    assert kinds(session) == [
        ("device.registered", "meter-1"),
        ("device.went_offline", "meter-1"),
        ("device.came_online", "meter-1"),
    ]


def test_new_firmware_is_recorded(session: Session, clock: FakeClock) -> None:
    devices.record_seen(session=session, device_id="cam-1", seen_at=clock.now(), firmware="1.0")

    device = devices.record_seen(
        session=session, device_id="cam-1", seen_at=clock.now(), firmware="1.1"
    )

    assert device.firmware == "1.1"
    assert kinds(session)[-1] == ("device.firmware_changed", "cam-1")
    assert "1.1" in changes(session)[-1].summary


@pytest.mark.parametrize("bad_id", ["bad id", "iot/meter-1", "", "x" * 65, "méter"])
def test_record_seen_refuses_an_invalid_id(session: Session, clock: FakeClock, bad_id: str) -> None:
    with pytest.raises(InvalidInput):
        devices.record_seen(session=session, device_id=bad_id, seen_at=clock.now())

    assert devices.list_devices(session=session).items == []
    assert changes(session) == []


# ---------------------------------------------------------------- finding a device


def test_get_device_by_id_or_by_name(session: Session) -> None:
    make_device(session, id="meter-1", name="Kitchen meter")

    assert devices.get_device(session=session, ref="meter-1").name == "Kitchen meter"
    assert devices.get_device(session=session, ref="Kitchen meter").id == "meter-1"


def test_unknown_device_suggests_a_close_id(session: Session) -> None:
    make_device(session, id="meter-1")
    make_device(session, id="camera-2", type="camera")

    with pytest.raises(DeviceNotFound) as caught:
        devices.get_device(session=session, ref="meter-l")

    assert caught.value.suggestions[0] == "meter-1"
    assert "camera-2" not in caught.value.suggestions
    assert "meter-1" in str(caught.value)


def test_unknown_device_without_anything_close(session: Session) -> None:
    make_device(session, id="meter-1")

    with pytest.raises(DeviceNotFound) as caught:
        devices.get_device(session=session, ref="zzzzzz")

    assert caught.value.suggestions == []
    assert "zzzzzz" in str(caught.value)


# ---------------------------------------------------------------- listing the fleet


@pytest.fixture
def fleet(session: Session, clock: FakeClock) -> Session:
    make_device(
        session,
        id="cam-1",
        type="camera",
        name="Front door",
        tags=["outdoor", "video"],
        location="entrance",
        ip="10.0.0.21",
        seen_at=clock.now(),
    )
    make_device(session, id="cam-2", type="camera_ptz", tags=["video"], location="yard")
    make_device(session, id="man-1", type="cameraman", location="entrance")
    make_device(session, id="meter-1", type="power_meter", ip="10.0.0.30", seen_at=clock.now())
    devices.mark_offline(session=session, device_id="meter-1", reason="test", actor=actor())
    devices.set_enabled(session=session, device_id="cam-2", enabled=False, actor=actor())
    return session


def test_list_is_ordered_by_id(fleet: Session) -> None:
    assert ids(devices.list_devices(session=fleet).items) == ["cam-1", "cam-2", "man-1", "meter-1"]


def test_list_limit(fleet: Session) -> None:
    assert ids(devices.list_devices(session=fleet, limit=2).items) == ["cam-1", "cam-2"]


FILTER_CASES = {
    "online": (DeviceFilter(status=DeviceStatus.ONLINE), ["cam-1"]),
    "offline": (DeviceFilter(status=DeviceStatus.OFFLINE), ["meter-1"]),
    "never seen": (DeviceFilter(status=DeviceStatus.UNKNOWN), ["cam-2", "man-1"]),
    "subtype": (DeviceFilter(type="camera_ptz"), ["cam-2"]),
    "type": (DeviceFilter(type="power_meter"), ["meter-1"]),
    "tag video": (DeviceFilter(tag="video"), ["cam-1", "cam-2"]),
    "tag outdoor": (DeviceFilter(tag="outdoor"), ["cam-1"]),
    "part of a tag": (DeviceFilter(tag="vid"), []),
    "location": (DeviceFilter(location="entrance"), ["cam-1", "man-1"]),
    "disabled": (DeviceFilter(enabled=False), ["cam-2"]),
    "enabled": (DeviceFilter(enabled=True), ["cam-1", "man-1", "meter-1"]),
    "text in name, any case": (DeviceFilter(text="front"), ["cam-1"]),
    "text in id, any case": (DeviceFilter(text="METER"), ["meter-1"]),
    "text in ip": (DeviceFilter(text="10.0.0.3"), ["meter-1"]),
    "all must hold": (DeviceFilter(type="camera", location="yard", enabled=False), ["cam-2"]),
}


def test_list_filters(fleet: Session) -> None:
    # One fleet, every filter: the assertion's diff names the filters that are wrong.
    got = {
        name: ids(devices.list_devices(session=fleet, filters=filters).items)
        for name, (filters, _) in FILTER_CASES.items()
    }

    assert got == {name: expected for name, (_, expected) in FILTER_CASES.items()}


def test_type_filter_matches_subtypes_but_not_other_words(fleet: Session) -> None:
    found = devices.list_devices(session=fleet, filters=DeviceFilter(type="camera")).items

    assert ids(found) == ["cam-1", "cam-2"]  # camera, camera_ptz; not cameraman


# ---------------------------------------------------------------- changing a device


def test_update_changes_fields_and_says_which(session: Session) -> None:
    make_device(session, id="meter-1")

    updated = devices.update_device(
        session=session,
        device_id="meter-1",
        update=DeviceUpdate(name="Kitchen meter", tags=["kitchen"], location="kitchen"),
        actor=actor(name="alice"),
    )

    assert (updated.name, updated.tags, updated.location) == (
        "Kitchen meter",
        ["kitchen"],
        "kitchen",
    )
    stored = devices.get_device(session=session, ref="meter-1")
    assert (stored.name, stored.tags, stored.location) == ("Kitchen meter", ["kitchen"], "kitchen")
    assert stored.type == "power_meter"  # not given, kept
    last = changes(session)[-1]
    assert (last.kind, last.entity_id, last.actor) == ("device.updated", "meter-1", "alice")
    assert "location" in last.summary
    assert "name" in last.summary


def test_update_by_name_and_empty_update(session: Session) -> None:
    make_device(session, id="meter-1", name="Kitchen meter")
    before = len(changes(session))

    same = devices.update_device(
        session=session, device_id="Kitchen meter", update=DeviceUpdate(), actor=actor()
    )

    assert same.id == "meter-1"
    assert len(changes(session)) == before


def test_update_of_an_unknown_device(session: Session) -> None:
    with pytest.raises(DeviceNotFound):
        devices.update_device(
            session=session, device_id="ghost", update=DeviceUpdate(name="x"), actor=actor()
        )


def test_disable_and_enable(session: Session) -> None:
    make_device(session, id="cam-1", type="camera")

    disabled = devices.set_enabled(session=session, device_id="cam-1", enabled=False, actor=actor())
    again = devices.set_enabled(session=session, device_id="cam-1", enabled=False, actor=actor())
    enabled = devices.set_enabled(session=session, device_id="cam-1", enabled=True, actor=actor())

    assert (disabled.enabled, again.enabled, enabled.enabled) == (False, False, True)
    assert [k for k, _ in kinds(session)] == [
        "device.registered",
        "device.disabled",
        "device.enabled",
    ]


# ---------------------------------------------------------------- registering by hand


def test_register_by_hand(session: Session) -> None:
    device = devices.register_device(
        session=session,
        create=DeviceCreate(id="router-1", type="router", ip="10.0.0.1"),
        actor=actor(),
    )

    assert device.name == "router-1"
    assert device.status is DeviceStatus.UNKNOWN
    assert device.last_seen is None
    assert device.enabled
    assert kinds(session) == [("device.registered", "router-1")]


def test_register_refuses_a_duplicate_id(session: Session) -> None:
    make_device(session, id="meter-1")

    with pytest.raises(InvalidInput, match="meter-1"):
        make_device(session, id="meter-1")

    assert len(devices.list_devices(session=session).items) == 1
    assert len(changes(session)) == 1


@pytest.mark.parametrize("bad_id", ["bad id", "iot/meter-1", "", "x" * 65])
def test_device_create_refuses_an_invalid_id(bad_id: str) -> None:
    with pytest.raises(ValidationError, match="device id"):
        DeviceCreate(id=bad_id)
