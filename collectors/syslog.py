"""The syslog collector: a UDP listener and a TCP listener (RFC 6587 octet counting or
newline framing, detected per connection) feeding the log writer."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
import time

from core.pipeline.log_writer import LogWriter, RawLine
from core.syslog import TcpFramer

log = logging.getLogger(__name__)

UDP_BUFFER = 65_535
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024


def _now_ms() -> int:
    return int(time.time() * 1000)


class _TcpHandler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        framer = TcpFramer()
        peer = self.client_address[0]
        self.request.settimeout(300)
        while True:
            try:
                data = self.request.recv(65_536)
            except OSError:
                return
            if not data:
                break
            for frame in framer.feed(data):
                self.server.writer.submit(RawLine(frame, _now_ms(), "tcp", peer))
        for frame in framer.close():
            self.server.writer.submit(RawLine(frame, _now_ms(), "tcp", peer))


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], writer: LogWriter) -> None:
        self.writer = writer
        super().__init__(address, _TcpHandler)


class SyslogCollector:
    def __init__(self, writer: LogWriter, *, host: str, udp_port: int, tcp_port: int) -> None:
        self._writer = writer
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A deep receive buffer rides out the moments this thread waits for the GIL; the
        # kernel drops datagrams, not Warden, when it overflows (see docs/benchmarks.md).
        self._udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        self._udp.bind((host, udp_port))
        self._udp.settimeout(0.5)
        self._tcp = _TcpServer((host, tcp_port), writer)
        self.udp_port = self._udp.getsockname()[1]
        self.tcp_port = self._tcp.server_address[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._udp_loop, name="syslog-udp", daemon=True),
            threading.Thread(target=self._tcp.serve_forever, name="syslog-tcp", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        log.info("syslog listening on udp/%d and tcp/%d", self.udp_port, self.tcp_port)

    def stop(self) -> None:
        self._stop.set()
        self._tcp.shutdown()
        self._tcp.server_close()
        for thread in self._threads:
            thread.join(5)
        self._udp.close()

    def _udp_loop(self) -> None:
        while not self._stop.is_set():
            try:
                data, address = self._udp.recvfrom(UDP_BUFFER)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            self._writer.submit(RawLine(data, _now_ms(), "udp", address[0]))
