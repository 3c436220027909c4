"""The ``Core`` object: what every entry point builds once and passes to the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.backups import backup_directory
from core.clock import Clock, SystemClock
from core.config import Settings
from core.db import Database
from core.live import ChangeFeed
from core.ports import KernelFeatures, KernelFeaturesSource
from core.private_files import SECRETS_LEFT_AS_FOUND, make_private_dir


@dataclass(frozen=True, slots=True)
class KnownKernel:
    """A ``KernelFeaturesSource`` that answers what it was given: None (unknown, as in a
    process with no kernel to ask) or a fixed set (tests)."""

    known: KernelFeatures | None = None

    def features(self) -> KernelFeatures | None:
        return self.known


@dataclass
class Core:
    """Settings, the database, the clock and the kernel's features of one process. Built
    by ``open_core`` (the composition root gives it the kernel port, see
    ``warden.enforcement.open_gateway``); nothing is built at import time."""

    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    kernel: KernelFeaturesSource = field(default_factory=KnownKernel)
    """What the kernel can enforce: every plan and submission of an intent asks it, so no
    front end plans as if the kernel had everything by forgetting to say."""

    def change_feed(self, *, start_after: int | None = None) -> ChangeFeed:
        """A new feed for one consumer (each front end or worker follows its own)."""
        return ChangeFeed(self.db, start_after=start_after)

    def close(self) -> None:
        self.db.dispose()


def open_core(
    settings: Settings,
    *,
    clock: Clock | None = None,
    kernel: KernelFeaturesSource | None = None,
    migrate: bool = True,
) -> Core:
    """Create the data dir (private: 0700, its files 0600), open the database and bring
    its schema up to date. A SQLite file too corrupt to open is moved aside and a fresh one
    made (``core.recovery``)."""
    # A token secret others could read is refused by ``load_secret``, not made private.
    make_private_dir(settings.data_dir, leave=SECRETS_LEFT_AS_FOUND)
    db = Database(settings.resolved_database_url)
    clock = clock or SystemClock()
    if migrate:
        # Here, not at the top: recovery loads the findings service (and with it most of the
        # models), which a read of the CLI opening a current database does not need.
        from core.recovery import record_recovery, recover_if_corrupt

        recovered = recover_if_corrupt(
            db,
            backup_dir=backup_directory(data_dir=settings.data_dir, backup_dir=settings.backup_dir),
            now=clock.now(),
        )
        db.migrate()
        if recovered is not None:
            with db.writer() as session:
                record_recovery(session=session, recovery=recovered, now=clock.now())
    return Core(settings=settings, db=db, clock=clock, kernel=kernel or KnownKernel())
