"""The ``Core`` object: what every entry point builds once and passes to the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.clock import Clock, SystemClock
from core.config import Settings
from core.db import Database
from core.live import ChangeFeed


@dataclass
class Core:
    """Settings, the database and the clock of one process. Built by ``open_core``;
    nothing is built at import time."""

    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)

    def change_feed(self, *, start_after: int | None = None) -> ChangeFeed:
        """A new feed for one consumer (each front end or worker follows its own)."""
        return ChangeFeed(self.db, start_after=start_after)

    def close(self) -> None:
        self.db.dispose()


def open_core(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Core:
    """Create the data dir, open the database and bring its schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    if migrate:
        db.migrate()
    return Core(settings=settings, db=db, clock=clock or SystemClock())
