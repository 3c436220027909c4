"""The commands rules and playbooks share: list, show, enable, disable, set, reset.

``set`` takes ``FIELD=VALUE`` pairs; each value is read as YAML, so ``threshold=5`` is a
number, ``apps=[hostapd]`` a list and ``regex='fail(ed)?'`` a string. The whole entry is
validated again before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click
import yaml
from pydantic import BaseModel

from core.errors import InvalidInput, NotFound
from core.services.catalog import Catalog
from warden.catalog import sync_catalog
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table


def parse_assignments(pairs: Sequence[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"{pair!r}: expected FIELD=VALUE, e.g. threshold=5")
        try:
            changes[name.strip()] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{pair!r}: the value is not valid YAML: {exc}") from None
    return changes


def _cell(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value or "")


def add_catalog_commands(
    group: click.Group,
    catalog: Catalog[Any],
    shipped: Callable[[], Sequence[BaseModel]],
    extra_column: tuple[str, str],
) -> None:
    """Add the shared commands to ``group``. ``extra_column`` is (header, definition
    field) of the column ``list`` shows before the name: a rule's severity, the rules a
    playbook answers."""
    noun = catalog.noun

    @group.command("list")
    @click.option("--pack", help="Only this pack.")
    @json_option
    @pass_ctx
    def list_(state: CliContext, pack: str | None, as_json: bool) -> None:
        sync_catalog(state.core)
        with state.core.db.reader() as session:
            found = [e for e in catalog.list(session=session) if pack in (None, e.pack)]
        if as_json:
            print_json(found)
            return
        print_table(
            ["id", "kind", "enabled", "edited", extra_column[0], "name"],
            [
                (
                    e.id,
                    e.kind,
                    "yes" if e.enabled else "no",
                    "yes" if e.edited else "",
                    _cell(e.definition.get(extra_column[1])),
                    e.definition.get("name", ""),
                )
                for e in found
            ],
        )

    list_.__doc__ = f"Every {noun}, as stored (the shipped packs are copied in on first use)."

    @group.command("show")
    @click.argument("entry_id")
    @json_option
    @pass_ctx
    def show(state: CliContext, entry_id: str, as_json: bool) -> None:
        sync_catalog(state.core)
        with state.core.db.reader() as session:
            entry = catalog.get(session=session, entry_id=entry_id)
        definition = entry.model_dump(mode="json")
        if as_json:
            print_json(definition)
        else:
            click.echo(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True).rstrip())

    show.__doc__ = f"One {noun}'s whole definition (YAML; --json for scripts)."

    def toggle(enabled: bool) -> Callable[..., None]:
        @click.argument("entry_ids", nargs=-1, required=True)
        @pass_ctx
        def command(state: CliContext, entry_ids: tuple[str, ...]) -> None:
            sync_catalog(state.core)
            for entry_id in entry_ids:
                with state.core.db.writer() as session:
                    catalog.set_enabled(
                        session=session,
                        entry_id=entry_id,
                        enabled=enabled,
                        actor=state.actor,
                        now=state.core.clock.now(),
                    )
                click.echo(f"{noun} {entry_id} {'enabled' if enabled else 'disabled'}")

        command.__doc__ = (
            f"{'Enable' if enabled else 'Disable'} {noun}s; the agent follows within seconds."
        )
        return command

    group.command("enable")(toggle(True))
    group.command("disable")(toggle(False))

    @group.command("set")
    @click.argument("entry_id")
    @click.argument("assignments", nargs=-1, required=True)
    @pass_ctx
    def set_(state: CliContext, entry_id: str, assignments: tuple[str, ...]) -> None:
        sync_catalog(state.core)
        changes = parse_assignments(assignments)
        with state.core.db.writer() as session:
            catalog.update(
                session=session,
                entry_id=entry_id,
                changes=changes,
                actor=state.actor,
                now=state.core.clock.now(),
            )
        click.echo(
            f"{noun} {entry_id} changed: " + ", ".join(f"{k}={v!r}" for k, v in changes.items())
        )

    set_.__doc__ = f"Change fields of a {noun}: FIELD=VALUE … (values read as YAML)."

    @group.command("reset")
    @click.argument("entry_id")
    @pass_ctx
    def reset(state: CliContext, entry_id: str) -> None:
        by_id = {e.id: e for e in shipped()}  # type: ignore[attr-defined]
        if entry_id not in by_id:
            raise NotFound(f"{entry_id!r} is not a shipped {noun}; nothing to reset it to")
        sync_catalog(state.core)
        with state.core.db.writer() as session:
            catalog.reset(
                session=session,
                shipped=by_id[entry_id],
                actor=state.actor,
                now=state.core.clock.now(),
            )
        click.echo(f"{noun} {entry_id} is back to its shipped definition")

    reset.__doc__ = "Undo edits: back to the shipped definition (the enabled flag stays)."
