"""Reading the dead letters: newest first, by reason, and those whose topic names a device
(the device page's list), on both backends."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.errors import DeviceNotFound
from core.models import DeadLetter
from core.runtime import Core
from core.services import deadletters
from tests.factories import make_device


def _rejected(session: Session, topic: str, reason: str = "not_json") -> None:
    """A rejected message as the ingest pipeline stores it."""
    session.add(DeadLetter(source="mqtt", topic=topic, reason=reason, size=3, head=b"{x"))
    session.commit()


def test_a_device_page_lists_the_dead_letters_whose_topic_names_it(any_core: Core) -> None:
    with any_core.db.writer() as session:
        make_device(session, id="meter-1")
        make_device(session, id="meter-10")
        _rejected(session, "warden/meter-1/telemetry")
        _rejected(session, "warden/meter-10/telemetry")  # not meter-1's
        _rejected(session, "warden/meter-1/status", reason="wrong_type")
        _rejected(session, "warden/meter_1/status")  # _ is no wildcard
        mine = deadletters.list_dead_letters(session=session, device_id="meter-1")
        wrong_type = deadletters.list_dead_letters(session=session, reason="wrong_type")
        newest = deadletters.list_dead_letters(session=session, limit=1)
    assert [d.topic for d in mine.items] == ["warden/meter-1/status", "warden/meter-1/telemetry"]
    assert [d.topic for d in wrong_type.items] == ["warden/meter-1/status"]
    assert ([d.topic for d in newest.items], newest.more) == (["warden/meter_1/status"], True)


def test_an_unknown_device_is_named(core: Core) -> None:
    with core.db.reader() as session, pytest.raises(DeviceNotFound):
        deadletters.list_dead_letters(session=session, device_id="nobody")
