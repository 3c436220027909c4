"""Listing services page in SQL (``offset``/``limit``, and whether more follows) and read
the child rows of a page in one query, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session

from core.errors import InvalidInput
from core.models import Actor, DeviceFilter
from core.runtime import Core
from core.services import audit, devices, findings
from tests.factories import FakeClock, actor, make_device

T0 = 1_770_890_400_000


@contextmanager
def counted(core: Core) -> Iterator[list[str]]:
    """The queries (SELECTs) run on ``core``'s database inside the block."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(core.db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(core.db.engine, "before_cursor_execute", seen)


def _fleet(session: Session) -> None:
    for number in range(1, 8):
        tags = ["garden"] if number % 2 else ["house", "garden-shed"]
        make_device(session, id=f"dev-{number}", type="camera", tags=tags)


def test_pages_follow_each_other_and_the_last_says_so(any_core: Core) -> None:
    with any_core.db.writer() as session:
        _fleet(session)
        first = devices.list_devices(session=session, limit=3)
        second = devices.list_devices(session=session, offset=first.next_offset, limit=3)
        last = devices.list_devices(session=session, offset=second.next_offset, limit=3)
    assert [d.id for d in first.items] == ["dev-1", "dev-2", "dev-3"]
    assert (first.offset, first.limit, first.next_offset, first.more) == (0, 3, 3, True)
    assert [d.id for d in second.items] == ["dev-4", "dev-5", "dev-6"]
    assert ([d.id for d in last.items], last.next_offset, last.more) == (["dev-7"], None, False)


def test_a_tag_filter_is_applied_before_paging(any_core: Core) -> None:
    """Tags are a JSON list: ``garden`` matches the tag, not ``garden-shed``."""
    with any_core.db.writer() as session:
        _fleet(session)
        tagged = DeviceFilter(tag="garden")
        first = devices.list_devices(session=session, filters=tagged, limit=3)
        rest = devices.list_devices(session=session, filters=tagged, offset=3, limit=3)
    assert [d.id for d in first.items] == ["dev-1", "dev-3", "dev-5"]
    assert ([d.id for d in rest.items], rest.more) == (["dev-7"], False)


def test_a_page_of_findings_reads_their_notes_in_one_query(any_core: Core) -> None:
    clock = FakeClock()
    with any_core.db.writer() as session:
        for key in ("a", "b", "c"):
            finding = findings.raise_finding(
                session=session,
                firing=findings.FindingIn(
                    rule_id="r", severity="low", key=key, ts_ms=T0, summary=f"finding {key}"
                ),
                now=clock.now(),
            )
            for text in ("first look", "second look"):
                findings.add_note(
                    session=session,
                    finding_id=finding.id,
                    actor=actor(),
                    text=f"{key}: {text}",
                    now=clock.now(),
                )
    with any_core.db.reader() as session, counted(any_core) as statements:
        page = findings.list_findings(session=session, limit=2)
    assert len(statements) == 2  # the findings, then the notes of all of them
    assert [[n.text for n in f.notes] for f in page.items] == [
        ["a: first look", "a: second look"],
        ["b: first look", "b: second look"],
    ]
    assert page.next_offset == 2


def test_the_audit_log_pages_by_offset_too(core: Core) -> None:
    with core.db.writer() as session:
        for number in range(5):
            make_device(session, id=f"dev-{number}")
        everything = audit.list_audit(session=session, actor=Actor.system()).items
        page = audit.list_audit(session=session, actor=Actor.system(), offset=2, limit=2)
    assert [e.id for e in page.items] == [e.id for e in everything[2:4]]
    assert page.more


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, 0)])
def test_a_window_outside_the_list_is_refused(core: Core, offset: int, limit: int) -> None:
    with core.db.reader() as session, pytest.raises(InvalidInput):
        devices.list_devices(session=session, offset=offset, limit=limit)
