"""The reconciler's published state: written by the agent after every pass, read by any
process (``warden enforcement status``, planning in the CLI, the metrics)."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from core.models.enforcement import (
    ENFORCEMENT_STATE_KEY,
    EnforcementState,
    EnforcementStatePublic,
)
from core.services import runtime

log = logging.getLogger(__name__)


def publish(*, session: Session, state: EnforcementState, now: datetime) -> None:
    """Replace the published state (the caller commits)."""
    runtime.upsert_setting(
        session=session, key=ENFORCEMENT_STATE_KEY, value=state.model_dump(mode="json"), now=now
    )


def read(*, session: Session, now: datetime) -> EnforcementStatePublic | None:
    """The last published state, or None when no agent ever reconciled (or one of another
    version published what this one cannot read)."""
    raw = runtime.get_state(session=session, key=ENFORCEMENT_STATE_KEY, now=now)
    if raw is None:
        return None
    try:
        return EnforcementStatePublic.model_validate(raw)
    except ValidationError as exc:
        log.warning("the published enforcement state cannot be read: %s", exc)
        return None
