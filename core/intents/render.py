"""Canonical sentences: ``render(intent)`` writes an intent back in the plainest phrasing the
grammar reads, so that ``parse_intent(render(x))`` gives ``x`` again (tested). What each
kind says is ``phrasing.PHRASES[kind].render``."""

from __future__ import annotations

from core.intents.model import Intent
from core.intents.phrasing import PHRASES
from core.intents.schedule import render_timing
from core.intents.targets import render_targets


def render(intent: Intent) -> str:
    """The intent as one canonical sentence."""
    who = render_targets(intent.targets)
    body = PHRASES[intent.kind].render(who, intent.params)
    schedule = intent.schedule.model_dump() if intent.schedule else None
    timing = render_timing(schedule, intent.duration_s)
    return f"{body} {timing}".strip()
