"""Rules and playbooks as stored: the shipped YAML packs are copied in on first load, and
from then on the database is what runs. An entry an operator changed (``edited``) keeps
its definition when a newer pack ships; one nobody touched follows the pack."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class _CatalogEntry(SQLModel):
    id: str = Field(primary_key=True, max_length=80)
    pack: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    definition: dict[str, Any] = Field(sa_type=JSON, nullable=False)
    """The whole entry as its pydantic model dumps it, ``enabled`` included."""
    enabled: bool = True
    edited: bool = False
    revision: int = 0
    """Goes up by one on every change: what runners compare to know they must reload
    (timestamps cannot tell two changes in the same instant, or from skewed clocks)."""
    updated_by: str = Field(default="system", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class RuleRecord(_CatalogEntry, table=True):
    __tablename__ = "rule"


class PlaybookRecord(_CatalogEntry, table=True):
    __tablename__ = "playbook"


class CatalogPublic(SQLModel):
    id: str
    pack: str
    kind: str
    enabled: bool
    edited: bool
    updated_by: str
    updated_at: datetime
    definition: dict[str, Any]
