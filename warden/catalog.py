"""Copying the shipped rule and playbook packs into the database: on agent start and
before a command reads them, so a fresh data dir shows what will run."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from core.playbooks import load_playbooks
from core.rules import load_packs
from core.runtime import Core
from core.services.playbooks import PLAYBOOKS
from core.services.rules import RULES
from warden.paths import playbook_packs, rule_packs

SYNC_TRIES = 3


def sync_catalog(core: Core) -> None:
    """Several agents starting at once on one PostgreSQL database all copy the packs in;
    the one that loses the race for a new entry's key syncs again and finds it there. The
    rules and the playbooks are two commits, so an agent can lose once on each: three
    tries are enough however many agents start together."""
    rules, playbooks = load_packs(rule_packs()), load_playbooks(playbook_packs())
    for attempt in range(SYNC_TRIES):
        try:
            with core.db.writer() as session:
                RULES.sync(session=session, shipped=rules, now=core.clock.now())
                PLAYBOOKS.sync(session=session, shipped=playbooks, now=core.clock.now())
            return
        except IntegrityError:
            if attempt == SYNC_TRIES - 1:
                raise
