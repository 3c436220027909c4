"""``GET /logs``: stored log lines, newest first. (Ingest, ``POST /logs/ingest``, is a
device route authenticated by an API key.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from core.clock import to_ms
from core.models import LogPublic
from core.services import logs
from core.timeparse import parse_time
from web.api.deps import CanRead, CoreDep, PagingDep
from web.api.schemas import Page

router = APIRouter(tags=["logs"])

TimeText = Annotated[
    str | None,
    Query(max_length=64, description="ISO 8601, epoch seconds, `now` or relative like -1h."),
]


@router.get("/logs", response_model=Page[LogPublic])
def query_logs(
    core: CoreDep,
    actor: CanRead,
    paging: PagingDep,
    host: str | None = None,
    app: str | None = None,
    log_class: str | None = None,
    device: str | None = None,
    contains: Annotated[str | None, Query(max_length=200)] = None,
    since: TimeText = None,
    until: TimeText = None,
) -> Page[LogPublic]:
    now = core.clock.now()
    with core.db.reader() as session:
        return logs.query_logs(
            session=session,
            host=host,
            app=app,
            log_class=log_class,
            contains=contains,
            device_id=device,
            since_ms=to_ms(parse_time(since, now=now)) if since else None,
            until_ms=to_ms(parse_time(until, now=now)) if until else None,
            offset=paging.offset,
            limit=paging.limit,
        )
