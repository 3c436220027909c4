"""Rollup tiers of the time series: one row per series and 1-minute or 1-hour bucket.

Each row holds what a chart and an exact re-aggregation need: the number of readings, their
sum, min and max, and the first and last value with their times. An hour is computed from its
minutes, a minute from its raw readings, so every tier is exact for buckets aligned to it.

``RollupPending`` lists the minutes whose raw readings changed since they were last rolled
up: a trigger on ``reading`` adds the minute of every inserted row (whatever wrote it), and
the rollup pass recomputes those minutes and their hours and removes them in one transaction.
``RollupState`` keeps the pass's watermark: every minute before it that is not pending is
rolled up.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

MINUTE_MS = 60_000
HOUR_MS = 3_600_000


def _series_key() -> Column:  # type: ignore[type-arg]
    return Column(Integer, ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)


class _RollupRow(SQLModel):
    count: int = Field(sa_column_kwargs={"nullable": False})
    sum: float = Field(sa_column_kwargs={"nullable": False})
    min: float = Field(sa_column_kwargs={"nullable": False})
    max: float = Field(sa_column_kwargs={"nullable": False})
    first_ts: int = Field(sa_type=BigInteger, sa_column_kwargs={"nullable": False})
    first: float = Field(sa_type=Float, sa_column_kwargs={"nullable": False})
    last_ts: int = Field(sa_type=BigInteger, sa_column_kwargs={"nullable": False})
    last: float = Field(sa_type=Float, sa_column_kwargs={"nullable": False})


class RollupMinute(_RollupRow, table=True):
    __tablename__ = "rollup_minute"
    __table_args__ = {"sqlite_with_rowid": False}

    series_id: int = Field(sa_column=_series_key())
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True))
    """Start of the minute, ms since the epoch (UTC)."""


class RollupHour(_RollupRow, table=True):
    __tablename__ = "rollup_hour"
    __table_args__ = {"sqlite_with_rowid": False}

    series_id: int = Field(sa_column=_series_key())
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True))
    """Start of the hour, ms since the epoch (UTC)."""


class RollupPending(SQLModel, table=True):
    __tablename__ = "rollup_pending"
    __table_args__ = {"sqlite_with_rowid": False}

    series_id: int = Field(sa_column=_series_key())
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True))
    """Start of a minute whose raw readings changed after it was last rolled up."""


class RollupState(SQLModel, table=True):
    __tablename__ = "rollup_state"

    name: str = Field(sa_column=Column(String(32), primary_key=True))
    watermark: int = Field(sa_type=BigInteger, sa_column_kwargs={"nullable": False})
    """Minutes starting before this (ms) that are not pending are rolled up."""
