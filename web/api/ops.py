"""Operations endpoints, mounted at the root: ``/healthz`` (the process answers),
``/readyz`` (the database answers and the collectors are connected; a collector the
operator disabled is reported as such and not waited for) and ``/metrics`` (Prometheus
text format, from ``web.api.metrics``). No authentication, by design: they reveal counts,
never device data or secrets; the bind address or the reverse proxy's allow-list
protects them (docs/api.md "Operations").
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from core.clock import to_ms
from core.runtime import Core
from core.services import mirror, runtime
from web.api.metrics import AppMetrics

router = APIRouter(tags=["operations"])

_metrics_lock = threading.Lock()


def app_metrics(app: FastAPI) -> AppMetrics:
    """The app's own metrics registry (built on first use, never the global default)."""
    with _metrics_lock:
        metrics = getattr(app.state, "metrics", None)
        if metrics is None:
            core: Core = app.state.core
            agent = getattr(app.state, "agent", None)
            metrics = app.state.metrics = AppMetrics(
                core.db, core.clock, agent_state=agent.state if agent is not None else None
            )
        return metrics


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and the collectors are connected (one the operator
    disabled is not waited for), else 503; each check says what it found."""
    core: Core = request.app.state.core
    database = _database_check(core)
    checks = {
        "database": database,
        "collectors": _collectors_check(core, getattr(request.app.state, "agent", None))
        if database["ok"]
        else {"ok": False, "detail": "not checked: the database is unreachable"},
    }
    ready = all(check["ok"] for check in checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
    if database["ok"]:
        body["sinks"] = _sinks_detail(core)
    return JSONResponse(
        body,
        status_code=200 if ready else 503,
    )


def _database_check(core: Core) -> dict[str, Any]:
    try:
        with core.db.reader() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        return {"ok": False, "detail": f"database unreachable: {reason}"}
    return {"ok": True, "detail": f"{core.db.dialect} answered"}


def _sinks_detail(core: Core) -> dict[str, Any]:
    """Each long-term sink's state, as detail: a sink that fails does not make Warden
    unready (ingest into the database goes on; the outbox keeps what it owes)."""
    with core.db.reader() as session:
        states = mirror.sink_states(session=session)
    now_ms = to_ms(core.clock.now())
    return {
        s.name: {
            "pending": s.pending,
            "lag_s": round(s.lag_s, 1),
            "failing_for_s": round(s.failing_for_s(now_ms), 1),
            "last_error": s.last_error,
        }
        for s in states
    }


def _collectors_check(core: Core, agent: Any) -> dict[str, Any]:
    """From the agent in this process (``warden serve``) if any, else from the heartbeat
    the agent of another process publishes (``warden web`` beside ``warden agent``). The
    disabled collectors are the agent's (its state says), else this process's settings."""
    problem = None
    if agent is not None:
        source = "in-process agent"
        state = agent.state()
    else:
        source = "agent heartbeat"
        with core.db.reader() as session:
            state = runtime.get_state(session=session, key=runtime.AGENT_KEY, now=core.clock.now())
        if state is None:
            problem = "no agent has ever run"
        elif not state.get("running"):
            problem = f"the agent's last heartbeat is stale ({state.get('updated_at')})"
    state = state or {}
    disabled = set(state.get("disabled_collectors", core.settings.collectors_disabled))
    check: dict[str, Any] = {"source": source}
    if "mqtt" in disabled:
        check.update(ok=True, mqtt="disabled", detail="the MQTT collector is disabled")
    elif problem:
        check.update(ok=False, mqtt="unknown", detail=problem)
    else:
        brokers = state.get("brokers") or []
        connected = [b["url"] for b in brokers if b.get("connected")]
        down = [b["url"] for b in brokers if not b.get("connected")]
        # One connected broker is enough to receive: brokers are redundant paths.
        check.update(
            ok=bool(connected),
            mqtt="connected" if connected else "not connected",
            detail=(f"connected to {', '.join(connected)}" if connected else "no broker connected")
            + (f"; not connected to {', '.join(down)}" if down else ""),
        )
    # The syslog listener is reported, not waited for: telemetry goes on without it.
    if "syslog" in disabled:
        check["syslog"] = "disabled"
    elif problem:
        check["syslog"] = "unknown"
    else:
        check["syslog"] = "listening" if state.get("syslog") else "not listening"
    return check


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text exposition, read fresh from the database."""
    registry = app_metrics(request.app).registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
