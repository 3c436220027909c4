"""``warden backup``: make, list, verify and restore backups of the database."""

from __future__ import annotations

import click

from core.backups import list_backups
from core.clock import SystemClock
from warden import backup
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json, print_table


@click.group("backup")
def backup_group() -> None:
    """Backups of the database (SQLite: a verified copy; PostgreSQL: pg_dump)."""


@backup_group.command("create")
@json_option
@pass_ctx
def create(state: CliContext, as_json: bool) -> None:
    """Back up the database now, while Warden runs; prints the backup's name."""
    made = backup.create(state.settings, now=SystemClock().now(), kind="manual")
    if as_json:
        print_json(made)
        return
    print_fields(
        [
            ("backup", made.manifest.name),
            ("path", made.path),
            ("bytes", made.manifest.size),
            ("rows", sum(made.manifest.rows.values())),
            ("schema", made.manifest.schema_revision),
            ("sha256", made.manifest.sha256),
        ]
    )


@backup_group.command("list")
@json_option
@pass_ctx
def list_(state: CliContext, as_json: bool) -> None:
    """The complete backups, newest first (an interrupted one is never listed)."""
    found = list_backups(backup.directory_of(state.settings))
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo(f"no backups in {backup.directory_of(state.settings)}")
        return
    print_table(
        ["name", "kind", "created", "bytes", "schema"],
        [
            (
                b.manifest.name,
                b.manifest.kind,
                b.manifest.created_at,
                b.manifest.size,
                b.manifest.schema_revision,
            )
            for b in found
        ],
    )


@backup_group.command("verify")
@click.argument("name", required=False)
@json_option
@pass_ctx
def verify(state: CliContext, name: str | None, as_json: bool) -> None:
    """Check a backup (default: the newest): its sha256, integrity and row counts
    (PostgreSQL: restored into a scratch database). Exits 1 when it does not verify."""
    name = name or _newest(state)
    result = backup.verify(state.settings, name)
    if as_json:
        print_json(result)
        return
    click.echo(
        f"{result.name}: verifies (integrity {result.integrity}, "
        f"{sum(result.rows.values())} rows as its manifest says)"
    )


@backup_group.command("restore")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_ctx
def restore(state: CliContext, name: str, yes: bool, as_json: bool) -> None:
    """Replace the database with backup NAME. Warden must be stopped; the backup is
    verified first, the current database kept aside, the schema migrated to head."""
    if not yes:
        click.confirm(f"Replace the database with {name}?", abort=True)
    done = backup.restore(state.settings, name, now=SystemClock().now())
    if as_json:
        print_json({"name": done.name, "previous": done.previous, "revision": done.revision})
        return
    click.echo(
        f"restored {done.name} (schema now {done.revision}); the previous database is "
        f"kept at {done.previous}"
    )


def _newest(state: CliContext) -> str:
    found = list_backups(backup.directory_of(state.settings))
    if not found:
        raise click.ClickException(f"no backups in {backup.directory_of(state.settings)}")
    return found[0].manifest.name
