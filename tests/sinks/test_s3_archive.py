"""The S3 raw archive against a real S3 server (SeaweedFS): every message in exactly one
object under its date key with its sha256, an outage or a crash after the upload loses
nothing and stores nothing twice, wrong keys and a missing bucket are said, and a database
is rebuilt from the archive by `warden archive replay`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from collectors.sinks.archive import S3Archive, get_object, list_objects, probe, records
from collectors.sinks.raw_tap import RawTap, open_spool
from core.clock import to_ms
from core.config import load_settings
from core.models import Reading
from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.protocol import Measurement, Telemetry
from core.protocol.encode import encode
from core.runtime import open_core
from tests.cli.conftest import Warden
from tests.factories import FakeClock
from tests.sinks.conftest import WEED_ACCESS, WEED_SECRET

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _settings(data_dir, url, **extra):
    return load_settings(
        data_dir=data_dir,
        s3_url=url,
        s3_access_key=extra.pop("key", WEED_ACCESS),
        s3_secret_key=extra.pop("secret", WEED_SECRET),
        archive_seal_s=60,
        **extra,
    )


def _env(url: str) -> dict[str, str]:
    return {
        "WARDEN_S3_URL": url,
        "WARDEN_S3_ACCESS_KEY": WEED_ACCESS,
        "WARDEN_S3_SECRET_KEY": WEED_SECRET,
    }


def _telemetry(n: int, *, device: str = "pm-1", first_seq: int = 1) -> list[RawMessage]:
    t0 = to_ms(START)
    return [
        RawMessage(
            topic=f"iot/{device}/telemetry",
            payload=encode(
                Telemetry(
                    device_id=device,
                    ts_ms=t0 + i * 1000,
                    seq=first_seq + i,
                    measurements=(Measurement("voltage", t0 + i * 1000, 230.0 + i, "V"),),
                )
            ),
            received_ms=t0 + i * 1000,
        )
        for i in range(n)
    ]


@pytest.fixture
def clock():
    return FakeClock(START)


def _archive(settings, clock):
    core = open_core(settings, clock=clock)
    spool = open_spool(settings, clock)
    return core, RawTap(spool), S3Archive(core.db, clock, settings, spool)


def _drain(archive: S3Archive) -> None:
    for _ in range(100):
        if not archive.upload_once():
            return
    raise AssertionError("the archive never ran out of work")


def _archived(settings) -> list[dict]:
    return list(records(settings, since_ms=to_ms(START) - 1, until_ms=to_ms(START) + 86_400_000))


def test_every_message_lands_in_one_object_under_its_hour_with_its_sha256(
    data_dir, clock, seaweed_factory
):
    server = seaweed_factory()
    settings = _settings(data_dir, server.url)
    core, tap, archive = _archive(settings, clock)
    try:
        sent = _telemetry(120)
        tap.messages(sent[:60])
        clock.advance(61)
        archive.spool.seal_due()  # a minute old: sealed
        tap.messages(sent[60:])
        clock.advance(61)
        _drain(archive)
        objects = list_objects(settings, since_ms=to_ms(START), until_ms=to_ms(clock.now()))
        assert len(objects) == 2
        assert all(o.key.startswith("raw/2026/12/01/12/") for o in objects)
        got = _archived(settings)
        assert [r["p"].encode() for r in got] == [m.payload for m in sent]
        assert {r["topic"] for r in got} == {"iot/pm-1/telemetry"}
        assert archive.spool.sealed() == []
        assert archive.state.sent == 2
    finally:
        archive.stop()
        core.close()


def test_an_outage_keeps_segments_in_the_spool_and_sends_them_once_when_it_returns(
    data_dir, clock, seaweed_factory
):
    server = seaweed_factory()
    settings = _settings(data_dir, server.url)
    core, tap, archive = _archive(settings, clock)
    try:
        sent = _telemetry(90)
        tap.messages(sent[:30])
        clock.advance(61)
        _drain(archive)
        server.stop()
        tap.messages(sent[30:60])  # messages keep arriving while S3 is down
        clock.advance(61)
        assert archive.upload_once() is False
        assert archive.state.errors == {"unreachable": 1}
        tap.messages(sent[60:])
        clock.advance(61)
        assert archive.upload_once() is False
        assert len(archive.spool.sealed()) == 2
        seaweed_factory(server)  # back, same data
        _drain(archive)
        got = _archived(settings)
        assert sorted(r["t"] for r in got) == [m.received_ms for m in sent]  # each once
        assert archive.state.failing_since_ms is None
    finally:
        archive.stop()
        core.close()


def test_a_crash_between_upload_and_delete_stores_the_segment_once(
    data_dir, clock, seaweed_factory
):
    server = seaweed_factory()
    settings = _settings(data_dir, server.url)
    core, tap, archive = _archive(settings, clock)
    try:
        tap.messages(_telemetry(10))
        clock.advance(61)
        archive.spool.seal_due()
        [segment] = archive.spool.sealed()
        archive._upload(segment)  # uploaded; the process dies before deleting the segment
        _drain(archive)  # the next start uploads it again
        [obj] = list_objects(settings, since_ms=to_ms(START), until_ms=to_ms(clock.now()))
        assert (
            len(json.loads("[" + ",".join(get_object(settings, obj.key).decode().split()) + "]"))
            == 10
        )
    finally:
        archive.stop()
        core.close()


def test_wrong_keys_and_a_missing_bucket_are_said(data_dir, clock, seaweed_factory):
    server = seaweed_factory(bucket=None)
    ok, detail = probe(_settings(data_dir, server.url))
    assert not ok and "not_found" in detail and "'warden'" in detail
    ok, detail = probe(_settings(data_dir, server.url, secret="not-the-secret"))
    assert not ok and "unauthorized" in detail
    settings = _settings(data_dir, server.url, key="nobody")
    core, tap, archive = _archive(settings, clock)
    try:
        tap.messages(_telemetry(3))
        clock.advance(61)
        assert archive.upload_once() is False
        assert archive.state.errors == {"unauthorized": 1}
        assert len(archive.spool.sealed()) == 1  # kept for when the keys are fixed
    finally:
        archive.stop()
        core.close()


def test_a_database_is_rebuilt_from_the_archive_and_a_second_replay_adds_nothing(
    data_dir, tmp_path, clock, seaweed_factory
):
    server = seaweed_factory()
    settings = _settings(data_dir, server.url)
    core, tap, archive = _archive(settings, clock)
    writer = IngestWriter(core.db, prefix="iot", max_payload_bytes=65536, archive=tap.messages)
    writer.start()
    try:
        for raw in _telemetry(50, device="pm-1") + _telemetry(50, device="pm-2"):
            writer.submit(raw)
        writer.stop()
        clock.advance(61)
        _drain(archive)
    finally:
        archive.stop()
        core.close()

    rebuilt = tmp_path / "rebuilt.db"
    warden = Warden(data_dir)
    window = ["--since", START.isoformat().replace("+00:00", "Z"), "--until", "now"]
    first = warden(
        "archive",
        "replay",
        *window,
        "--into",
        f"sqlite:///{rebuilt}",
        "--json",
        env=_env(server.url),
    )
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["stored_messages"] == 100
    again = warden(
        "archive",
        "replay",
        *window,
        "--into",
        f"sqlite:///{rebuilt}",
        "--json",
        env=_env(server.url),
    )
    assert json.loads(again.stdout) | {} == {
        "replayed": {"mqtt": 100},
        "stored_messages": 0,
        "duplicates": 100,
        "refused": 0,
    }
    check = open_core(load_settings(data_dir=tmp_path / "x", database_url=f"sqlite:///{rebuilt}"))
    try:
        with check.db.reader() as session:
            assert session.exec(select(func.count()).select_from(Reading)).one() == 100
    finally:
        check.close()


def test_archive_commands_without_an_archive_say_how_to_configure_one(data_dir):
    result = Warden(data_dir)("archive", "list")
    assert result.exit_code == 2
    assert "WARDEN_S3_URL" in result.output
