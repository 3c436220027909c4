"""An MQTT broker inside the Warden process (amqtt), for `warden serve --demo` on a machine
with nothing installed. It speaks MQTT 3.1.1 only and manages about 3 000 QoS 1 messages/s
here: plenty for a demo fleet, not for production (use Mosquitto, see docs/mqtt.md)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from core.errors import WardenError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0


def free_port(host: str, preferred: int) -> int:
    """``preferred`` when nothing listens there, else a port the kernel picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise WardenError(f"no free TCP port on {host}")


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = free_port(host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="amqtt", daemon=True)
        self._broker = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        from amqtt.broker import Broker  # imported here: only the demo needs it

        for noisy in ("amqtt", "transitions"):  # plugin chatter about unused options
            logging.getLogger(noisy).setLevel(logging.ERROR)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "sys_interval": 0,
            "auth": {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
            "topic-check": {"enabled": False},
        }
        self._thread.start()

        async def make_and_start() -> None:
            self._broker = Broker(config, loop=self._loop)
            await self._broker.start()

        future = asyncio.run_coroutine_threadsafe(make_and_start(), self._loop)
        try:
            future.result(START_TIMEOUT_S)
        except FutureTimeout as exc:
            raise WardenError(
                f"the embedded broker did not start within {START_TIMEOUT_S} s"
            ) from exc
        log.info("embedded MQTT broker (amqtt) on %s", self.url)

    def stop(self) -> None:
        if self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(5)
            except (FutureTimeout, Exception):  # shutting down anyway
                log.warning("the embedded broker did not shut down cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
