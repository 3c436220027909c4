"""This agent's row in the agents registry (``core.services.cluster``): who it is, since
when, what it leads, its broker connections and how fast it ingests, upserted on every
heartbeat so ``warden cluster status`` sees every agent sharing the database."""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import TYPE_CHECKING

import warden
from core.models import AgentBeat
from core.services import cluster

if TYPE_CHECKING:
    from warden.agent import Agent

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, agent: Agent, name: str) -> None:
        self._agent = agent
        self.name = name
        self._host = socket.gethostname()
        self._started_at = agent.core.clock.now()
        self._beats = 0
        self._clash: str | None = None
        """The other process last found under this name (said once, not every beat)."""
        self._last: tuple[float, int] | None = None
        """(monotonic time, messages received) at the previous beat: the ingest rate."""

    def _ingest_per_s(self, brokers: list[dict[str, object]]) -> float:
        """Messages per second this agent's collector took from its brokers since the last
        beat (its own count: with a share group each agent gets a part of the fleet)."""
        received = sum(int(b.get("received") or 0) for b in brokers)  # type: ignore[call-overload]
        now = time.monotonic()
        last, self._last = self._last, (now, received)
        if last is None or now <= last[0]:
            return 0.0
        return max(0.0, (received - last[1]) / (now - last[0]))

    def beat(self) -> None:
        agent = self._agent
        brokers = [dict(b) for b in agent.collector.broker_states()]
        beat = AgentBeat(
            name=self.name,
            host=self._host,
            pid=os.getpid(),
            version=warden.__version__,
            started_at=self._started_at,
            leads=agent.leadership.leads(),
            brokers=brokers,
            ingest_per_s=round(self._ingest_per_s(brokers), 1),
            enforcing=agent.enforcing,
        )
        with agent.core.db.writer() as session:
            clash = cluster.record_heartbeat(session=session, beat=beat, now=agent.core.clock.now())
        if clash is not None and self._beats and clash != self._clash:
            log.error(
                "another agent named %r is running (%s): each agent sharing a database needs "
                "its own WARDEN_AGENT_NAME, or their rows in `warden cluster status` mix",
                self.name,
                clash,
            )
        self._clash = clash
        self._beats += 1

    def stopped(self) -> None:
        """A clean stop says so at once (a killed agent's row only goes stale)."""
        with self._agent.core.db.writer() as session:
            cluster.record_stopped(
                session=session, name=self.name, now=self._agent.core.clock.now()
            )
