"""``warden playbooks``: what to do when a rule fires (packs in data/playbooks)."""

from __future__ import annotations

import click

from core.playbooks import load_playbooks
from core.services.playbooks import PLAYBOOKS
from warden.cli.catalog_cmds import add_catalog_commands
from warden.paths import playbook_packs


@click.group()
def playbooks() -> None:
    """Playbooks that turn findings into actions: list, show, enable, disable, set, reset."""


add_catalog_commands(
    playbooks,
    PLAYBOOKS,
    lambda: load_playbooks(playbook_packs()),
    ("on", "on"),
)
