"""The audit trail has no gaps and no flood (issue 15 item 17): logout, refresh rotation
and every 401 (no token, a forged one, a bad device key) are recorded with the client's
address; refresh-token reuse too; repeated refusals share one row a minute with a count;
old audit entries and dead letters are deleted by the agent's retention job."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from collectors import data_jobs
from core import passwords
from core.models import ChangeLog, DeadLetter, Outcome
from core.services import retention
from tests.factories import FakeClock
from tests.web.conftest import bearer, login_pair, url

ME = url("/auth/me")
REFRESH = url("/auth/refresh")


def entries(core, kind: str) -> list[ChangeLog]:
    with core.db.reader() as session:
        return list(
            session.exec(
                select(ChangeLog).where(ChangeLog.kind == kind).order_by(col(ChangeLog.id))
            )
        )


def test_logout_and_refresh_rotation_are_audited_with_the_address(client, accounts, core):
    pair = login_pair(client, "vera")
    renewed = client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}).json()
    client.post(url("/auth/logout"), headers=bearer(renewed["access_token"]))

    [refreshed] = entries(core, "auth.refreshed")
    [logout] = entries(core, "auth.logout")
    assert (refreshed.actor, refreshed.address) == ("vera", "testclient")
    assert (logout.actor, logout.address, logout.outcome) == ("vera", "testclient", Outcome.OK)


def test_refresh_token_reuse_is_recorded_with_the_address(client, accounts, core):
    pair = login_pair(client, "vera")
    client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    [reused] = entries(core, "auth.refresh_reused")
    assert (reused.actor, reused.address, reused.outcome) == ("vera", "testclient", Outcome.DENIED)


def test_anonymous_forged_and_bad_device_key_requests_are_audited(client, accounts, core):
    assert client.get(ME).status_code == 401
    assert client.get(ME, headers=bearer("forged.token.here")).status_code == 401
    telemetry = client.post(
        url("/devices/telemetry"), json={"data": {"t": 1}}, headers={"X-API-Key": "wd_nope"}
    )
    assert telemetry.status_code == 401
    assert client.post(url("/devices/telemetry"), json={"data": {"t": 1}}).status_code == 401

    refused = entries(core, "auth.refused")
    assert {(e.actor, e.address, e.outcome) for e in refused} == {
        ("anonymous", "testclient", Outcome.DENIED),
        ("device", "testclient", Outcome.DENIED),
    }
    reasons = {e.entity_id for e in refused}
    assert len(reasons) == 4, reasons  # no token, bad token, bad key, missing key
    assert any("X-API-Key" in e.entity_id for e in refused)


def test_repeated_refusals_share_a_row_a_minute(client, accounts, core, clock: FakeClock):
    for _ in range(40):
        assert client.get(ME).status_code == 401
    [row] = entries(core, "auth.refused")
    assert row.count == 40
    clock.advance(61)
    client.get(ME)
    assert [e.count for e in entries(core, "auth.refused")] == [40, 1]


def test_throttled_logins_share_a_row_a_minute(client, core, monkeypatch):
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)
    answers = [
        client.post(url("/auth/login"), json={"name": "nobody", "password": "x" * 12})
        for _ in range(25)
    ]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    [row] = entries(core, "auth.login_throttled")
    assert (row.count, row.address) == (20, "testclient")


def test_the_retention_job_deletes_old_audit_entries_and_dead_letters(core, clock: FakeClock):
    now = clock.now()
    with core.db.writer() as session:
        for days in (900, 10):  # the audit log keeps 800 days, dead letters 30
            session.add(
                ChangeLog(
                    at=now - timedelta(days=days),
                    actor="ada",
                    origin="api",
                    kind="user.added",
                    entity="user",
                    entity_id=f"u{days}",
                    summary="old" if days > 800 else "recent",
                )
            )
            session.add(
                DeadLetter(
                    received_at=now - timedelta(days=days / 10),
                    source="mqtt",
                    topic="t",
                    reason="malformed",
                    detail="",
                    head=b"",
                    size=0,
                )
            )
        session.commit()

    report = data_jobs.purge(core.db, clock, days=retention.retention_days(core.settings))

    assert (report.deleted.get("change_log"), report.deleted.get("dead_letter")) == (1, 1)
    assert [e.summary for e in entries(core, "user.added")] == ["recent"]
    with core.db.reader() as session:
        assert len(session.exec(select(DeadLetter)).all()) == 1
