"""The intent language (INTENTS.md): pure parsing of operator sentences into structured
intents, their explanations and canonical re-rendering. No database, no I/O."""

from core.intents.model import Intent, IntentError, ParseFailure, ParseResult, Schedule
from core.intents.parser import parse_intent
from core.intents.render import render

__all__ = [
    "Intent",
    "IntentError",
    "ParseFailure",
    "ParseResult",
    "Schedule",
    "parse_intent",
    "render",
]
