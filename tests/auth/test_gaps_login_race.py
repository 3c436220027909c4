"""Two first failed logins of the same name at once on PostgreSQL: both insert the
throttle row, neither fails on its unique key, and both are counted."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlmodel import select

from core.config import load_settings
from core.errors import Unauthenticated
from core.models import LoginThrottle
from core.runtime import Core, open_core
from core.services import users
from tests.factories import EPOCH_2026

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_core(data_dir, pg_url) -> Iterator[Core]:
    opened = open_core(load_settings(data_dir=data_dir, database_url=pg_url))
    try:
        yield opened
    finally:
        opened.close()


def test_concurrent_first_failures_are_both_counted(pg_core, monkeypatch):
    # Both logins read "no throttle row yet" before either writes one: each waits for the
    # other at the password check, which comes between the read and the insert.
    both_read = threading.Barrier(2, timeout=30)

    def check_after_both_read(password: str, hashed: str) -> bool:
        both_read.wait()
        return False

    monkeypatch.setattr(users, "verify_password", check_after_both_read)
    outcomes: dict[str, BaseException | None] = {}

    def fail_once(address: str) -> None:
        try:
            with pg_core.db.writer() as session:
                users.login(
                    session=session,
                    name="nobody",
                    password="guess guess guess",
                    address=address,
                    now=EPOCH_2026,
                    proxy="10.0.0.254",  # both through one proxy: its key is the shared one
                )
        except BaseException as exc:  # reported by the assertion below
            outcomes[address] = exc
        else:
            outcomes[address] = None

    threads = [threading.Thread(target=fail_once, args=(a,)) for a in ("10.0.0.1", "10.0.0.2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(e, Unauthenticated) for e in outcomes.values()), outcomes
    assert len(outcomes) == 2
    with pg_core.db.reader() as session:
        failures = {t.key: t.failures for t in session.exec(select(LoginThrottle))}
    # An account is throttled per address (issue 15 item 15), so the shared row both
    # first failures race to insert is the proxy's.
    assert failures == {
        "user:nobody@10.0.0.1": 1,
        "user:nobody@10.0.0.2": 1,
        "addr:10.0.0.1": 1,
        "addr:10.0.0.2": 1,
        "proxy:10.0.0.254": 2,
    }
