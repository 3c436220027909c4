"""The raw archive's spool on a real directory: segments sealed by size and by time, what a
dead process left sealed at the next start (its partial last line dropped and counted), and
the cap dropping the oldest segments, counted."""

from __future__ import annotations

import gzip
import json

from collectors.sinks.spool import Spool, payload_of, record


class Now:
    def __init__(self) -> None:
        self.ms = 1_765_000_000_000

    def __call__(self) -> int:
        return self.ms


def _spool(tmp_path, now, **kw) -> Spool:
    opts = {"max_bytes": 10_000_000, "seal_s": 60, "seal_bytes": 1_000_000} | kw
    return Spool(tmp_path / "spool", gateway="gw-1", now_ms=now, **opts)


def _messages(n: int, t0: int) -> list[dict]:
    return [
        record(
            received_ms=t0 + i, src="mqtt", payload=b'{"n": %d}' % i, topic=f"iot/d{i}/telemetry"
        )
        for i in range(n)
    ]


def _read(segment) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(segment.path.read_bytes()).splitlines()]


def test_a_segment_is_sealed_when_it_is_old_enough_and_keeps_every_message(tmp_path):
    now = Now()
    spool = _spool(tmp_path, now)
    spool.append(_messages(3, now.ms))
    spool.seal_due()
    assert spool.sealed() == []  # not a minute old yet
    now.ms += 60_000
    spool.seal_due()
    [segment] = spool.sealed()
    # the gateway's name, "-" made "_" so that the name splits back into its parts
    assert segment.path.name.startswith("gw_1-1765000000000-")
    assert [payload_of(r) for r in _read(segment)] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert oct(segment.path.stat().st_mode & 0o777) == "0o600"


def test_a_segment_is_sealed_early_at_its_size_and_binary_payloads_survive(tmp_path):
    now = Now()
    spool = _spool(tmp_path, now, seal_bytes=2000)
    spool.append([record(received_ms=now.ms, src="mqtt", payload=b"\xff\x00raw", topic="t")])
    spool.append(_messages(40, now.ms + 1))
    segments = spool.sealed()
    assert len(segments) == 1
    first = _read(segments[0])[0]
    assert "b64" in first and payload_of(first) == b"\xff\x00raw"


def test_what_a_dead_process_left_open_is_sealed_at_the_next_start(tmp_path):
    now = Now()
    directory = tmp_path / "spool"
    directory.mkdir()
    dead_pid = 2**22 + 12345  # above the kernel's pid_max: no such process
    lines = [json.dumps(r) for r in _messages(2, now.ms)]
    (directory / f"open-{dead_pid}-1.ndjson").write_text("\n".join(lines) + '\n{"t": 17650')
    spool = _spool(tmp_path, now)
    [segment] = spool.sealed()
    assert len(_read(segment)) == 2
    assert spool.stats.partial_lines == 1
    assert list(directory.glob("open-*")) == []


def test_the_cap_drops_the_oldest_segments_and_counts_them(tmp_path):
    now = Now()
    spool = _spool(tmp_path, now, seal_bytes=64 * 1024, max_bytes=3000)
    for _ in range(12):
        spool.append(_messages(30, now.ms))
        now.ms += 60_000
        spool.seal_due()
    kept = spool.sealed()
    assert sum(s.size for s in kept) <= 3000
    assert spool.stats.dropped_segments == 12 - len(kept) > 0
    assert kept[-1].first_ms == now.ms - 60_000  # the newest are kept
