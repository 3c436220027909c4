"""What every ``warden bench`` subcommand shares: its scratch directory and its report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from warden.cli.context import CliContext
from warden.cli.output import print_fields, print_json


def bench_workdir(state: CliContext) -> Path:
    """DATA_DIR/bench, where benchmarks keep their databases and scratch files."""
    workdir = state.settings.data_dir / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    """Nested figures as dotted keys, for people (``--json`` keeps the structure)."""
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _flatten(f"{prefix}.{k}", v)]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [kv for i, v in enumerate(value) for kv in _flatten(f"{prefix}.{i}", v)]
    return [(prefix, value)]


def report(result: dict[str, Any], as_json: bool) -> None:
    """The figures as JSON (``--json``) or as dotted ``key: value`` lines."""
    if as_json:
        print_json(result)
    else:
        print_fields([kv for k, v in result.items() for kv in _flatten(k, v)])
