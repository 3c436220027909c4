"""Settings changed at run time from a front end (the file and environment settings live
in ``core.config``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=128)
    value: Any = Field(sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
