"""The syslog collector: UDP and TCP (RFC 6587 octet counting or newline framing, detected
per connection) on one listening address, feeding the log writer.

One thread serves everything through a selector: the UDP socket, the TCP listener and
every connection. Nothing an unauthenticated sender does grows without bound:

- **connections** are capped per source address (``per_source``) and in all
  (``max_connections``). A new connection over a cap is taken, and the connection that has
  been idle longest (of that source, or of all) is closed to make room: a router that
  reconnects after a reboot gets in past its own half-open connections, and idle
  connections cannot lock routers out. A connection silent for ``idle_timeout_s`` is closed
  (syslog clients reconnect when they have something to say);
- **frames** are cut at ``max_frame`` bytes (the rest discarded unbuffered, the line stored
  marked truncated), UDP datagrams too;
- **lines** per source are rate-limited by the log writer (``core.pipeline.log_writer``),
  and what waits for the writer is bounded in lines and bytes.

Where it listens is the operator's choice (``WARDEN_SYSLOG_HOST``); by default the address
of the first LAN interface, else the loopback address, never every interface unless asked
(``listen_address``).

A little over 300 lines: the loop and the limits it enforces read best together.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from core.config import Settings
from core.pipeline.log_writer import LogWriter, RawLine
from core.syslog import TcpFramer

log = logging.getLogger(__name__)

UDP_BUFFER = 65_535
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024
RECV_BYTES = 65_536
UDP_PER_WAKE = 256
"""Datagrams read in one go before the other sockets get their turn."""
ACCEPT_PER_WAKE = 64
ACCEPT_PAUSE_S = 1.0
"""How long accepting pauses after the system refused one (out of file descriptors)."""
LOOPBACK = "127.0.0.1"
EVERY_INTERFACE = ("0.0.0.0", "::")  # noqa: S104 - the addresses warned about
_SIOCGIFADDR = 0x8915


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int = 64
    per_source: int = 4
    idle_timeout_s: float = 300.0
    max_frame: int = 16_384

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            max_connections=settings.syslog_max_connections,
            per_source=settings.syslog_max_connections_per_source,
            idle_timeout_s=settings.syslog_idle_timeout_s,
            max_frame=settings.syslog_max_frame_bytes,
        )


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    why: str
    """Where the address came from, in words (for `warden doctor` and the log)."""


def interface_ipv4(name: str) -> str | None:
    """The IPv4 address of interface ``name``, or None (no such interface, or none set)."""
    request = struct.pack("256s", name.encode()[:15])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)
        except OSError:
            return None
    return socket.inet_ntoa(answer[20:24])


def listen_address(
    settings: Settings, address_of: Callable[[str], str | None] = interface_ipv4
) -> ListenAddress:
    """Where the collector listens: ``WARDEN_SYSLOG_HOST`` when set; else the address of
    the first LAN interface (``WARDEN_LAN_IFACES``) that has one; else the loopback
    address (safe, but routers cannot reach it)."""
    if settings.syslog_host:
        return ListenAddress(settings.syslog_host, "WARDEN_SYSLOG_HOST")
    for iface in settings.lan_interfaces:
        address = address_of(iface)
        if address is not None:
            return ListenAddress(address, f"the address of LAN interface {iface}")
    if settings.lan_interfaces:
        return ListenAddress(
            LOOPBACK,
            f"no LAN interface ({', '.join(settings.lan_interfaces)}) has an IPv4 address",
        )
    return ListenAddress(LOOPBACK, "neither WARDEN_SYSLOG_HOST nor WARDEN_LAN_IFACES is set")


class SyslogStats(BaseModel):
    host: str
    udp: int
    tcp: int
    connections: int
    max_connections: int
    connections_shed: int
    """Closed to make room for a new connection (over a cap)."""
    connections_idle_closed: int
    frames_cut: int
    """TCP frames and UDP datagrams cut at the frame limit."""
    framing_errors: int


@dataclass(eq=False, slots=True)
class _Connection:
    sock: socket.socket
    peer: str
    last_active: float
    framer: TcpFramer = field(default_factory=TcpFramer)


class SyslogCollector:
    def __init__(
        self,
        writer: LogWriter,
        *,
        host: str,
        udp_port: int,
        tcp_port: int,
        limits: ConnectionLimits = ConnectionLimits(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` (seconds, monotonic) times idleness; tests pass their own."""
        self._writer = writer
        self._limits = limits
        self._clock = clock
        self._host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._udp = socket.socket(family, socket.SOCK_DGRAM)
        # A deep receive buffer rides out the moments this thread waits for the GIL; the
        # kernel drops datagrams, not Warden, when it overflows (see docs/benchmarks.md).
        self._udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        self._udp.bind((host, udp_port))
        self._udp.setblocking(False)
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._listener.bind((host, tcp_port))
            self._listener.listen(128)
        except OSError:
            self._udp.close()
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self.udp_port = self._udp.getsockname()[1]
        self.tcp_port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._udp, selectors.EVENT_READ, "udp")
        self._selector.register(self._listener, selectors.EVENT_READ, "listen")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._connections: dict[int, _Connection] = {}
        self._accept_again: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shed = self._idle_closed = self._udp_cut = self._closed_cut = 0
        self._closed_errors = 0
        self._lock = threading.Lock()
        """Guards the counters ``stats`` reads from another thread."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="syslog", daemon=True)
        self._thread.start()
        log.info(
            "syslog listening on %s udp/%d and tcp/%d", self._host, self.udp_port, self.tcp_port
        )

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        if self._thread is not None:
            self._thread.join(5)
        for connection in list(self._connections.values()):
            self._close(connection)
        self._selector.close()
        for sock in (self._udp, self._listener, self._wake_r, self._wake_w):
            sock.close()

    def stats(self) -> SyslogStats:
        with self._lock:
            open_now = list(self._connections.values())
            return SyslogStats(
                host=self._host,
                udp=self.udp_port,
                tcp=self.tcp_port,
                connections=len(open_now),
                max_connections=self._limits.max_connections,
                connections_shed=self._shed,
                connections_idle_closed=self._idle_closed,
                frames_cut=self._udp_cut + self._closed_cut + sum(c.framer.cut for c in open_now),
                framing_errors=self._closed_errors + sum(c.framer.errors for c in open_now),
            )

    # ---------------------------------------------------------------- the loop
    def _loop(self) -> None:
        tick = min(1.0, self._limits.idle_timeout_s / 4)
        while not self._stop.is_set():
            try:
                events = self._selector.select(timeout=tick)
            except OSError:  # the selector was closed under us: stopping
                return
            for key, _ in events:
                match key.data:
                    case "udp":
                        self._read_datagrams()
                    case "listen":
                        self._accept()
                    case "wake":
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(64)
                    case _Connection() as connection:
                        self._read(connection)
            self._close_idle()
            if self._accept_again is not None and time.monotonic() >= self._accept_again:
                self._accept_again = None
                self._selector.register(self._listener, selectors.EVENT_READ, "listen")

    def _read_datagrams(self) -> None:
        limit = self._limits.max_frame
        for _ in range(UDP_PER_WAKE):
            try:
                data, address = self._udp.recvfrom(UDP_BUFFER)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            cut = len(data) > limit
            if cut:
                with self._lock:
                    self._udp_cut += 1
                data = data[:limit]
            self._writer.submit(RawLine(data, _now_ms(), "udp", address[0], cut=cut))

    def _accept(self) -> None:
        for _ in range(ACCEPT_PER_WAKE):
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors, say: shed, pause, go on
                log.warning("syslog: cannot accept a TCP connection, pausing 1 s: %s", exc)
                self._shed_longest_idle(None)
                # The listener stays readable while the backlog waits: without a pause the
                # loop would spin on it.
                self._selector.unregister(self._listener)
                self._accept_again = time.monotonic() + ACCEPT_PAUSE_S
                return
            sock.setblocking(False)
            peer = address[0]
            self._make_room(peer)
            connection = _Connection(
                sock, peer, self._clock(), TcpFramer(max_frame=self._limits.max_frame)
            )
            with self._lock:
                self._connections[sock.fileno()] = connection
            self._selector.register(sock, selectors.EVENT_READ, connection)

    def _make_room(self, peer: str) -> None:
        mine = sum(1 for c in self._connections.values() if c.peer == peer)
        if mine >= self._limits.per_source:
            self._shed_longest_idle(peer)
        if len(self._connections) >= self._limits.max_connections:
            self._shed_longest_idle(None)

    def _shed_longest_idle(self, peer: str | None) -> None:
        candidates = [c for c in self._connections.values() if peer in (None, c.peer)]
        if not candidates:
            return
        oldest = min(candidates, key=lambda c: c.last_active)
        with self._lock:
            self._shed += 1
        self._close(oldest)

    def _read(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(connection)
            return
        if not data:
            self._close(connection)
            return
        connection.last_active = self._clock()
        self._deliver(connection, connection.framer.feed(data))

    def _deliver(self, connection: _Connection, frames: list[bytes]) -> None:
        limit = self._limits.max_frame
        for frame in frames:
            self._writer.submit(
                RawLine(frame, _now_ms(), "tcp", connection.peer, cut=len(frame) >= limit)
            )

    def _close_idle(self) -> None:
        horizon = self._clock() - self._limits.idle_timeout_s
        for connection in [c for c in self._connections.values() if c.last_active < horizon]:
            with self._lock:
                self._idle_closed += 1
            self._close(connection)

    def _close(self, connection: _Connection) -> None:
        """Close a connection; an unterminated last line is delivered first."""
        with self._lock:
            if self._connections.pop(connection.sock.fileno(), None) is None:
                return
            frames = connection.framer.close()
            self._closed_cut += connection.framer.cut
            self._closed_errors += connection.framer.errors
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(connection.sock)
        connection.sock.close()
        self._deliver(connection, frames)
