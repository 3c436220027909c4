"""Syslog cannot exhaust the collector (issue 15, item 14), with real sockets: idle TCP
connections are capped per source and in all and the longest idle are shed (no thread per
connection), idle connections time out, a frame is bounded, a flood from one source is
rate-limited and counted while an honest router's lines keep arriving, and the queue
between the collector and the writer is bounded in bytes."""

from __future__ import annotations

import logging
import select
import socket
import threading

import pytest

from collectors.syslog import ConnectionLimits, SyslogCollector
from core.pipeline.log_writer import LogWriter, RawLine, SourceLimit
from core.services import logs
from tests.collectors.conftest import wait_until

LINE = b"<30>Feb 12 10:00:01 ap-1 hostapd: wlan0: STA aa:bb:cc:00:00:01 IEEE 802.11: associated"


def stored(core, **filters):
    with core.db.reader() as session:
        return logs.query_logs(session=session, since_ms=0, limit=10_000, **filters).items


def from_source(core, address: str) -> int:
    return sum(1 for row in stored(core) if row.source_ip == address)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def running(core):
    """Start a collector and writer with the given limits; stopped afterwards."""
    started: list[tuple[SyslogCollector, LogWriter]] = []

    def start(
        limits: ConnectionLimits | None = None,
        source_limit: SourceLimit | None = None,
        clock=None,
    ) -> tuple[SyslogCollector, LogWriter]:
        writer = LogWriter(core.db, limit=source_limit)
        collector = SyslogCollector(
            writer,
            host="127.0.0.1",
            udp_port=0,
            tcp_port=0,
            limits=limits or ConnectionLimits(),
            **({"clock": clock} if clock else {}),
        )
        writer.start()
        collector.start()
        started.append((collector, writer))
        return collector, writer

    yield start
    for collector, writer in started:
        collector.stop()
        writer.stop()


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except ConnectionResetError:
        return True


def test_idle_connections_are_capped_per_source_and_the_longest_idle_are_shed(running):
    """Before: one thread per connection and no cap (1 000 idle connections, 1 015
    threads). Now one loop serves them all; a source holds at most ``per_source``."""
    threads_before = threading.active_count()
    collector, writer = running(ConnectionLimits(max_connections=20, per_source=4))
    port = collector.tcp_port
    clients = [connect(port) for _ in range(50)]
    try:
        wait_until(
            lambda: sum(closed_by_server(c) for c in clients) == 46, what="46 connections shed"
        )
        assert [closed_by_server(c) for c in clients] == [True] * 46 + [False] * 4
        assert collector.stats().connections == 4
        assert collector.stats().connections_shed == 46
        assert threading.active_count() <= threads_before + 2  # the loop and the writer
        clients[-1].sendall(LINE + b"\n")  # the survivors still work
        wait_until(lambda: writer.stored == 1, what="the line of a kept connection")
    finally:
        for client in clients:
            client.close()


def test_the_total_is_capped_across_sources_and_a_new_router_still_gets_in(running, core):
    collector, writer = running(ConnectionLimits(max_connections=10, per_source=4))
    port = collector.tcp_port
    clients = [connect(port, f"127.0.0.{2 + i}") for i in range(30)]
    try:
        wait_until(lambda: sum(closed_by_server(c) for c in clients) == 20, what="20 shed")
        assert collector.stats().connections == 10
        router = connect(port, "127.0.1.1")
        router.sendall(LINE + b"\n")
        wait_until(lambda: writer.stored == 1, what="the new router's line")
        assert stored(core)[0].source_ip == "127.0.1.1"
        router.close()
    finally:
        for client in clients:
            client.close()


def test_a_connection_idle_for_longer_than_the_timeout_is_closed(running):
    clock = FakeMonotonic()
    collector, writer = running(ConnectionLimits(idle_timeout_s=60), clock=clock)
    quiet, talking = connect(collector.tcp_port), connect(collector.tcp_port)
    try:
        wait_until(lambda: collector.stats().connections == 2, what="two connections")
        clock.now += 45
        talking.sendall(LINE + b"\n")
        wait_until(lambda: writer.stored == 1, what="a line")
        clock.now += 30  # quiet: 75 s idle; talking: 30 s
        wait_until(lambda: closed_by_server(quiet), what="the idle connection to close")
        assert not closed_by_server(talking)
        assert collector.stats().connections_idle_closed == 1
    finally:
        quiet.close()
        talking.close()


def test_a_frame_is_bounded_and_kept_marked_truncated(running, core):
    collector, writer = running(ConnectionLimits(max_frame=8192))
    with connect(collector.tcp_port) as tcp:
        tcp.sendall(b"<13>" + b"y" * 100_000 + b"\n" + LINE + b"\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"<13>" + b"z" * 30_000, ("127.0.0.1", collector.udp_port))
    wait_until(lambda: writer.stored == 3, what="three lines")
    rows = stored(core)
    assert sorted(len(r.message) <= 8192 for r in rows) == [True] * 3
    assert sum(r.truncated for r in rows) == 2
    assert collector.stats().frames_cut == 2


def test_a_flood_from_one_source_is_limited_and_counted_and_honest_lines_arrive(
    running, core, caplog
):
    """Before: 400 KB of ``x\\0`` on one connection became 200 000 rows."""
    caplog.set_level(logging.WARNING, logger="core.pipeline.log_writer")
    collector, writer = running(source_limit=SourceLimit(per_second=1, burst=100))
    flood = connect(collector.tcp_port)
    sender = threading.Thread(target=flood.sendall, args=(b"x\x00" * 200_000,))
    sender.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.2", 0))
        for n in range(20):
            udp.sendto(
                LINE.replace(b"10:00:01", b"10:00:%02d" % n), ("127.0.0.1", collector.udp_port)
            )
    with connect(collector.tcp_port, "127.0.0.3") as honest_tcp:
        honest_tcp.sendall(b"".join(LINE + b" tcp %d\n" % n for n in range(20)))
        sender.join()
        flood.close()

        def flood_rows() -> int:
            return from_source(core, "127.0.0.1")

        wait_until(
            lambda: flood_rows() + writer.stats().rate_limited == 200_000,
            timeout=60,
            what="every flood line stored or counted as dropped",
        )
    wait_until(lambda: writer.stored == flood_rows() + 40, what="the honest lines")
    assert from_source(core, "127.0.0.2") == 20
    assert from_source(core, "127.0.0.3") == 20
    assert flood_rows() < 1_000
    stats = writer.stats()
    assert stats.rate_limited > 199_000
    assert stats.rate_limited_by_source == {"127.0.0.1": stats.rate_limited}
    assert any(
        "127.0.0.1" in r.getMessage() and "over its limit" in r.getMessage() for r in caplog.records
    )


def test_the_queue_to_the_writer_is_bounded_in_bytes(core):
    """A writer that cannot keep up makes the collector wait (back-pressure) once the
    queued lines hold ``max_queued_bytes``, instead of growing memory."""
    writer = LogWriter(core.db, max_queued_bytes=64 * 1024)  # not started: nothing drains
    line = RawLine(b"<13>" + b"q" * 8000, 0, "tcp", "127.0.0.1")
    submitted = threading.Event()

    def fill() -> None:
        for _ in range(20):
            writer.submit(line)
        submitted.set()

    threading.Thread(target=fill, daemon=True).start()
    wait_until(lambda: writer.stats().queued_bytes >= 56_000, what="the queue to fill")
    assert not submitted.wait(0.2)
    assert writer.stats().queued_bytes <= 64 * 1024
    writer.start()
    assert submitted.wait(10)
    writer.stop()
