"""The agents panel on /admin: every agent of the registry with its state, brokers and
ingest, who leads which job, and untrusted names shown literally."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui

from core.models import AgentBeat
from core.services import cluster


def beat(core, name: str, leads: list[str], *, ago_s: float = 0.0) -> None:
    now = core.clock.now()
    with core.db.writer() as session:
        cluster.record_heartbeat(
            session=session,
            beat=AgentBeat(
                name=name,
                host="gw-host",
                pid=4242,
                version="9.9.9",
                started_at=now - timedelta(hours=1),
                leads=leads,
                brokers=[{"url": "mqtt://user:hunter2pw@broker:1883", "connected": True}],
                ingest_per_s=123.4,
                enforcing=True,
            ),
            now=now - timedelta(seconds=ago_s),
        )


async def test_the_system_tab_lists_the_agents_and_who_leads_which_job(core, admin):
    beat(core, "agent-a", ["liveness", "rules"])
    beat(core, "<b>agent-b</b>", ["rollups"], ago_s=600)  # killed long ago: stale
    await admin.open("/admin")
    await admin.should_see(marker="cluster")
    await admin.should_see(marker="agent-agent-a")
    await admin.should_see("123.4 messages/s", retries=30)
    await admin.should_see("mqtt://user:********@broker:1883: connected")
    await admin.should_not_see("hunter2pw")
    await admin.should_see(kind=ui.label, content="<b>agent-b</b>")
    await admin.should_see("stale")
    await admin.should_see(marker="leader-liveness")
    # A stale agent leads nothing: its job is shown as nobody's until taken over.
    await admin.should_see("nobody alive: taken over within seconds")
    await admin.should_not_see(kind=ui.html)
