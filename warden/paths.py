"""Where the shipped defaults (rule packs, example config) are: ``data/`` in a source
checkout, ``warden/_data`` in an installed wheel."""

from __future__ import annotations

from pathlib import Path


def shipped_data() -> Path:
    packaged = Path(__file__).parent / "_data"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "data"


def rule_packs() -> Path:
    return shipped_data() / "rules"


def playbook_packs() -> Path:
    return shipped_data() / "playbooks"
