"""Copying the shipped rule and playbook packs into the database: on agent start and
before a command reads them, so a fresh data dir shows what will run."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from core.playbooks import load_playbooks
from core.rules import load_packs
from core.runtime import Core
from core.services.playbooks import PLAYBOOKS
from core.services.rules import RULES
from warden.leadership import LOCK_NAMESPACE, job_key
from warden.paths import playbook_packs, rule_packs

CATALOG_LOCK = "catalog-sync"


def sync_catalog(core: Core) -> None:
    rules, playbooks = load_packs(rule_packs()), load_playbooks(playbook_packs())
    with core.db.writer() as session:
        _one_at_a_time(core, session)
        RULES.sync(session=session, shipped=rules, now=core.clock.now())
        _one_at_a_time(core, session)  # the sync committed: its lock went with it
        PLAYBOOKS.sync(session=session, shipped=playbooks, now=core.clock.now())


def _one_at_a_time(core: Core, session: Session) -> None:
    """Agents starting together on one PostgreSQL database would insert the same new rules
    and one would fail on the key: the later one waits here until the earlier commits, then
    finds them (each statement reads what is committed). A transaction lock, in the one-key
    form, never counted among the jobs' two-key locks (``warden.leadership``)."""
    if core.db.is_sqlite:
        return  # one writer at a time already
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": (LOCK_NAMESPACE << 32) | job_key(CATALOG_LOCK)},
    )
