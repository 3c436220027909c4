"""``warden devices``: the fleet registry.

Only what ``devices list`` needs is imported at the top: a list on a current SQLite file is
read without the ORM (``core.services.fleet_read``); the other commands import the models
and services when they run.
"""

from __future__ import annotations

from typing import Any

import click

from core.services import fleet_read
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.exits import EXIT_BAD_INPUT
from warden.cli.output import print_fields, print_json, print_table

KEY_SCOPES = ("telemetry", "logs")
"""``core.services.apikeys.SCOPES`` (a test keeps them equal): importing that module loads
the ORM, which ``devices list`` must not pay for."""


@click.group()
def devices() -> None:
    """List, show and register devices."""


@devices.command("list")
@click.option("--status", type=click.Choice(fleet_read.DEVICE_STATUSES), help="Only this status.")
@click.option("--type", "type_", metavar="TYPE", help="Only this type (and its subtypes).")
@click.option("--tag", help="Only devices with this tag.")
@click.option("--location", help="Only devices at this location.")
@click.option("--search", metavar="TEXT", help="Id, name or IP containing TEXT.")
@json_option
@pass_ctx
def list_(
    state: CliContext,
    status: str | None,
    type_: str | None,
    tag: str | None,
    location: str | None,
    search: str | None,
    as_json: bool,
) -> None:
    """List the devices Warden knows."""
    query = fleet_read.FleetQuery(
        status=status, type=type_, tag=tag, location=location, text=search
    )
    found = fleet_read.read_fleet(state.database_url, query)
    if found is None:  # not a current SQLite file: the full path migrates or says why not
        found = _list_through_core(state, query)
    if as_json:
        print_json([fleet_read.as_json(d) for d in found])
        return
    if not found:
        click.echo("no devices")
        return
    print_table(
        ["id", "name", "type", "status", "last seen", "ip", "firmware", "location"],
        [
            (
                d["id"],
                d["name"],
                d["type"],
                d["status"],
                d["last_seen"],
                d["ip"],
                d["firmware"],
                d["location"],
            )
            for d in found
        ],
    )


def _list_through_core(state: CliContext, query: fleet_read.FleetQuery) -> list[dict[str, Any]]:
    from core.models import DeviceFilter, DeviceStatus
    from core.services import devices as device_service

    filters = DeviceFilter(
        status=DeviceStatus(query.status) if query.status else None,
        type=query.type,
        tag=query.tag,
        location=query.location,
        text=query.text,
    )
    with state.read_core.db.reader() as session:
        page = device_service.list_devices(session=session, filters=filters)
    return [d.model_dump() for d in page.items]


@devices.command("show")
@click.argument("device")
@json_option
@pass_ctx
def show(state: CliContext, device: str, as_json: bool) -> None:
    """Show one device (by id or name) and its series."""
    from core.services import devices as device_service
    from core.services import telemetry as telemetry_service

    with state.read_core.db.reader() as session:
        found = device_service.get_device(session=session, ref=device)
        series = telemetry_service.list_series(session=session, device_id=found.id)
        seq = device_service.get_seq(session=session, device_id=found.id)
    if as_json:
        print_json(
            {
                **found.model_dump(mode="json"),
                "series": [s.model_dump() for s in series],
                "seq": seq.model_dump() if seq else None,
            }
        )
        return
    print_fields(
        [
            ("id", found.id),
            ("name", found.name),
            ("type", found.type),
            ("status", found.status.value),
            ("enabled", "yes" if found.enabled else "no"),
            ("last seen", found.last_seen),
            ("ip", found.ip),
            ("mac", found.mac),
            ("firmware", found.firmware),
            ("location", found.location),
            ("tags", found.tags),
            ("series", [f"{s.metric} ({s.unit})" if s.unit else s.metric for s in series]),
            (
                "seq",
                f"boot {seq.boot}, last {seq.last}, {seq.duplicates} duplicates, "
                f"{seq.gaps} gaps ({seq.missing} missing)"
                if seq
                else None,
            ),
            ("uptime", f"{found.uptime_s} s" if found.uptime_s is not None else None),
            ("buffer", f"{found.buf_usage_pct:g} %" if found.buf_usage_pct is not None else None),
        ]
    )


@devices.command("add")
@click.argument("device_id")
@click.option("--name", default="", help="Display name (default: the id).")
@click.option("--type", "type_", default="unknown", show_default=True, help="Device type.")
@click.option("--location", help="Where it is.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for several).")
@click.option("--ip", help="Its IPv4 or IPv6 address.")
@click.option("--mac", help="Its MAC address.")
@json_option
@pass_ctx
def add(
    state: CliContext,
    device_id: str,
    name: str,
    type_: str,
    location: str | None,
    tags: tuple[str, ...],
    ip: str | None,
    mac: str | None,
    as_json: bool,
) -> None:
    """Register a device by hand (devices that speak register themselves)."""
    from pydantic import ValidationError

    from core.models import DeviceCreate
    from core.services import devices as device_service

    try:
        create = DeviceCreate(
            id=device_id, name=name, type=type_, location=location, tags=list(tags), ip=ip, mac=mac
        )
    except ValidationError as exc:
        raise click.BadParameter(exc.errors()[0]["msg"], param_hint="DEVICE_ID") from exc
    with state.core.db.writer() as session:
        created = device_service.register_device(session=session, create=create, actor=state.actor)
    if as_json:
        print_json(created)
    else:
        click.echo(f"registered {created.id}")


@devices.command("key")
@click.argument("device")
@click.option("--rotate", is_flag=True, help="Revoke the device's key(s) and make a new one.")
@click.option("--revoke", is_flag=True, help="Revoke the device's key(s); make none.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(KEY_SCOPES),
    help="What the key may do (repeat for several; default: telemetry).",
)
@json_option
@pass_ctx
def key(
    state: CliContext,
    device: str,
    rotate: bool,
    revoke: bool,
    scopes: tuple[str, ...],
    as_json: bool,
) -> None:
    """Make the device's HTTP API key (X-API-Key), shown once; --rotate replaces it."""
    if rotate and revoke:
        raise click.UsageError("--rotate and --revoke exclude each other")
    from core.errors import Conflict
    from core.services import apikeys as apikey_service

    core = state.core
    with core.db.writer() as session:
        if revoke:
            revoked = apikey_service.revoke_keys(
                session=session, device_id=device, actor=state.actor, now=core.clock.now()
            )
            if as_json:
                print_json({"revoked": revoked})
            else:
                click.echo(f"revoked {revoked} key(s) of {device}")
            return
        make = apikey_service.rotate_key if rotate else apikey_service.create_key
        try:
            public, secret = make(
                session=session,
                device_id=device,
                actor=state.actor,
                now=core.clock.now(),
                scopes=scopes or ("telemetry",),
            )
        except Conflict as exc:
            click.echo(f"warden: {exc}: warden devices key {device} --rotate", err=True)
            raise SystemExit(EXIT_BAD_INPUT) from exc
    if as_json:
        print_json({"key": secret, "prefix": public.prefix, "scopes": public.scopes.split(",")})
        return
    click.echo(secret)
    click.echo(
        f"API key {public.prefix}… of {public.device_id} (scopes {public.scopes}). "
        "Store it now: it is not shown again.",
        err=True,
    )
