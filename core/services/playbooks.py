"""The playbooks as stored; see ``core.services.catalog``."""

from __future__ import annotations

from core.models import PlaybookRecord
from core.playbooks import Playbook, parse_playbook
from core.services.catalog import Catalog

PLAYBOOKS: Catalog[Playbook] = Catalog(PlaybookRecord, parse_playbook, noun="playbook")
