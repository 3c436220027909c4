"""The command line loads only what the command asked for: ``warden --help`` lists every
command without importing one, and a read such as ``warden devices list --json`` loads
neither the consoles, the web, the benchmarks nor alembic (whose schema check a current
database does not need). Checked in a fresh interpreter, by what it imported."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from warden.cli.main import COMMANDS, cli, load_command

PROBE = """
import json, sys
from warden.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "loaded": sorted(sys.modules)}), file=sys.stderr)
"""
HEAVY = ("alembic", "textual", "nicegui", "fastapi", "uvicorn", "paho", "pyroute2", "benchmarks")


def loaded_by(argv: list[str], data_dir: Path) -> tuple[int, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"WARDEN_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"]), done.stdout


def roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_help_lists_every_command_without_importing_any(tmp_path: Path) -> None:
    code, loaded, shown = loaded_by(["--help"], tmp_path)

    assert code == 0
    for name in COMMANDS:
        assert f"  {name} " in shown, name
    assert not {m for m in loaded if m.startswith("warden.cli.") and m.endswith("_cmd")}
    assert not roots(loaded) & {*HEAVY, "sqlalchemy", "sqlmodel"}


def test_a_read_loads_only_its_own_command(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["devices", "list"], env={"WARDEN_DATA_DIR": str(tmp_path)})

    code, loaded, shown = loaded_by(["devices", "list", "--json"], tmp_path)

    assert (code, json.loads(shown)) == (0, [])
    commands = {m for m in loaded if m.startswith("warden.cli.") and m.endswith("_cmd")}
    assert commands == {"warden.cli.devices_cmd"}
    assert not roots(loaded) & set(HEAVY)


def test_a_fresh_data_dir_is_still_migrated_by_a_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["devices", "list", "--json"], env={"WARDEN_DATA_DIR": str(tmp_path / "new")}
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_registered_summary_is_how_its_help_begins(name: str) -> None:
    command = load_command(name)
    listed = click.Command(name, help=COMMANDS[name][1])

    assert command.name == name
    for limit in (30, 45, 80, 200):
        assert listed.get_short_help_str(limit) == command.get_short_help_str(limit), limit


def test_a_read_of_a_current_database_loads_neither_the_orm_nor_the_enforcement(
    tmp_path: Path,
) -> None:
    CliRunner().invoke(
        cli, ["devices", "add", "cam-1", "--type", "camera"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    code, loaded, shown = loaded_by(["devices", "list", "--json"], tmp_path)

    assert code == 0
    assert [d["id"] for d in json.loads(shown)] == ["cam-1"]
    assert not roots(loaded) & {"sqlalchemy", "sqlmodel"}  # core.services.fleet_read
    assert not loaded & {"core.models.device", "core.models.intent", "core.intents"}
    assert not loaded & {"warden.enforcement", "core.recovery", "core.services.findings"}


def test_a_read_of_a_database_from_a_newer_warden_says_so(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["devices", "list"], env={"WARDEN_DATA_DIR": str(tmp_path)})
    with sqlite3.connect(tmp_path / "warden.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")

    result = CliRunner().invoke(
        cli, ["devices", "list", "--json"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code != 0
    assert "schema revision '9999_from_the_future'" in result.output
    assert "newer Warden" in result.output
    assert "internal error" not in result.output


def test_a_read_of_an_older_schema_brings_it_up_to_date_first(tmp_path: Path) -> None:
    from alembic import command

    from core.db import Database, alembic_config, head_revision

    database = Database(f"sqlite:///{tmp_path / 'warden.db'}")
    with database.engine.connect() as connection:  # the schema of an older Warden
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0011")
        connection.commit()
    database.dispose()

    result = CliRunner().invoke(
        cli, ["devices", "list", "--json"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    with sqlite3.connect(tmp_path / "warden.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )
