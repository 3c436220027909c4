"""The agents panel of ``/admin``'s System tab: the agents sharing this database, who leads
which job, their broker connections and ingest rates (``core.services.cluster``, the same
service as ``warden cluster status``). Agent names, hosts and broker URLs are text from the
database: shown with labels (never as markup), broker credentials masked."""

from __future__ import annotations

from nicegui import ui

from core.models import AgentPublic, ClusterStatus
from core.services.cluster import cluster_status
from core.services.system import mask_credentials
from web.ui.calls import read
from web.ui.context import WebContext
from web.ui.widgets import chip, when

STATE_COLOURS = {"alive": "positive", "stale": "negative", "stopped": "grey"}


class ClusterPanel:
    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.status: ClusterStatus | None = None
        self.section = ui.refreshable(self._section)

    async def build(self) -> None:
        await self.load()
        self.section()
        self.web.hub.status.subscribe(self.reload)  # heartbeats are not changes: follow ticks

    async def load(self) -> None:
        now = self.web.core.clock.now()
        self.status = await read(lambda session: cluster_status(session=session, now=now))

    async def reload(self, *_: object) -> None:
        await self.load()
        self.section.refresh()

    def _section(self) -> None:
        with ui.card().classes("w-full q-pa-sm q-mt-sm").mark("cluster"):
            ui.label("Agents").classes("text-subtitle1")
            status = self.status
            if status is None or not status.agents:
                ui.label("No agent has run on this database yet.").mark("no-agents")
                return
            for agent in status.agents:
                _agent(agent)
            ui.label("Leaders").classes("text-subtitle2 q-mt-sm")
            jobs = sorted({job for a in status.agents for job in a.leads} | set(status.leaders))
            for job in jobs:
                with ui.row().classes("w-full gap-2 items-baseline").mark(f"leader-{job}"):
                    ui.label(job).classes("text-mono text-caption w-40")
                    ui.label(status.leaders.get(job, "nobody alive: taken over within seconds"))


def _agent(agent: AgentPublic) -> None:
    with ui.column().classes("w-full gap-0 q-py-xs").mark(f"agent-{agent.name}"):
        with ui.row().classes("gap-2 items-baseline"):
            ui.label(agent.name).classes("text-weight-medium")
            chip(agent.state, STATE_COLOURS.get(agent.state, "grey"))
            if agent.enforcing:
                chip("enforces", "primary")
        ui.label(
            f"{agent.host} pid {agent.pid}, version {agent.version}, "
            f"started {when(agent.started_at)}, last heartbeat {when(agent.heartbeat_at)}, "
            f"{agent.ingest_per_s:.1f} messages/s"
        ).classes("text-caption break-all")
        for broker in agent.brokers:
            url = mask_credentials(str(broker.get("url", "?")))
            ui.label(
                f"{url}: {'connected' if broker.get('connected') else 'not connected'}"
            ).classes("text-caption break-all")
