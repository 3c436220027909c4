"""Webhooks: the JSON POST, and the job that delivers the notification outbox with it.

The outbox and its retries are ``core.services.notify``'s; this module only does the HTTP
call, so the agent (and the action runner's ``webhook`` steps) are the only places Warden
talks HTTP to the outside.
"""

from __future__ import annotations

import json
import urllib.request

from core.clock import Clock
from core.db import Database
from core.services import notify

WEBHOOK_TIMEOUT_S = 5


def post_json(url: str, body: dict[str, object]) -> None:
    """POST ``body`` as JSON; raises on a network error or a non-2xx answer."""
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked when added
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "warden"},
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as answer:  # noqa: S310
        if not 200 <= answer.status < 300:
            raise OSError(f"HTTP {answer.status}")


def deliver_notifications(db: Database, clock: Clock, post: notify.Poster = post_json) -> int:
    """Post due webhook notifications; returns how many were sent."""
    with db.writer() as session:
        done = notify.deliver_due(session=session, post=post, now=clock.now())
    return sum(1 for n in done if n.state == "sent")
