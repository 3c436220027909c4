"""``warden enforcement``: what the kernel is made to hold, and how (kernel or dry run)."""

from __future__ import annotations

import click

from core.errors import EnforcementError
from core.models import IntentStatus
from core.services import enforcement_state, intents, runtime
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.exits import EXIT_BAD_INPUT, EXIT_FAILURE, CommandFailed
from warden.cli.output import print_fields, print_json
from warden.enforcement import build_backends, dry_run_reasons


@click.group()
def enforcement() -> None:
    """Enforcement: backend mode, interfaces, the last reconcile."""


@enforcement.command("status")
@json_option
@pass_ctx
def status(state: CliContext, as_json: bool) -> None:
    """Backend mode (kernel / dry run, and why), interfaces, the agent's last reconcile:
    what it applied, repaired, is waiting for and what failed."""
    settings = state.settings
    tc_reasons, nft_reasons = dry_run_reasons(settings)
    with state.read_core.db.reader() as session:
        last = enforcement_state.read(session=session, now=state.read_core.clock.now())
    report = {
        "mode": {
            "tc": "dry-run" if tc_reasons else "kernel",
            "nft": "dry-run" if nft_reasons else "kernel",
        },
        "dry_run_reasons": {"tc": tc_reasons, "nft": nft_reasons},
        "lan_interfaces": settings.lan_interfaces,
        "wan_interface": settings.wan_iface,
        "netns": settings.enforcement_netns,
        "last_reconcile": last.model_dump(mode="json") if last is not None else None,
    }
    if as_json:
        print_json(report)
        return
    fields = [
        ("tc", report["mode"]["tc"] + (f" ({'; '.join(tc_reasons)})" if tc_reasons else "")),
        (
            "nftables",
            report["mode"]["nft"] + (f" ({'; '.join(nft_reasons)})" if nft_reasons else ""),
        ),
        ("lan interfaces", ", ".join(settings.lan_interfaces) or "-"),
        ("wan interface", settings.wan_iface),
    ]
    if last is None:
        fields.append(("last reconcile", "never (is the agent running?)"))
    else:
        fields += [
            (
                "last reconcile",
                f"{last.applied} policies held"
                + (f", {last.dry_run} recorded but not applied (dry run)" if last.dry_run else ""),
            ),
            ("repaired", "; ".join(last.repaired) or "-"),
            ("waiting", "; ".join(f"policy {k}: {v}" for k, v in last.waiting.items()) or "-"),
            ("failed", "; ".join(f"policy {k}: {v}" for k, v in last.failed.items()) or "-"),
            ("error", last.error),
        ]
    print_fields(fields)
    if tc_reasons or nft_reasons:
        click.echo("DRY RUN: plans are recorded, the kernel is not changed.", err=True)


@enforcement.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask.")
@pass_ctx
def clear(state: CliContext, yes: bool) -> None:
    """Remove everything Warden put in the kernel: its tc qdiscs and classes on the LAN
    interface, its IFB device and the nftables table ``inet warden`` (to uninstall, or to
    start clean). Refused while the agent runs (it would put them back); live intents are
    applied again the next time it starts, so revoke them first to keep the kernel clean."""
    settings = state.settings
    tc_reasons, nft_reasons = dry_run_reasons(settings)
    if tc_reasons and nft_reasons:
        click.echo(
            "DRY RUN: Warden does not change this kernel "
            f"({'; '.join(dict.fromkeys(tc_reasons + nft_reasons))}); nothing to clear",
            err=True,
        )
        return
    now = state.core.clock.now()
    with state.core.db.reader() as session:
        agent = runtime.get_state(session=session, key=runtime.AGENT_KEY, now=now)
        live = [
            i
            for status in IntentStatus
            if status.live
            for i in intents.list_intents(session=session, status=status, limit=1000).items
        ]
    if (agent or {}).get("running"):
        raise CommandFailed(
            "the agent is running and would put it all back: stop it first "
            "(systemctl stop warden-agent, or end `warden serve`)",
            EXIT_BAD_INPUT,
        )
    backends = build_backends(settings)
    try:
        classes, rules = backends.shaper.read(), backends.firewall.read()
    except EnforcementError as exc:
        raise CommandFailed(f"cannot read what the kernel holds: {exc}", EXIT_FAILURE) from exc
    click.echo(
        f"Warden holds {len(classes)} tc classes and {len(rules)} firewall rules "
        f"on {', '.join(settings.lan_interfaces) or '-'}",
        err=True,
    )
    if live:
        click.echo(
            f"{len(live)} intents are live ({', '.join(str(i.id) for i in live[:10])}): "
            "the agent applies them again when it starts; `warden intent revoke ID` ends one",
            err=True,
        )
    if not yes:
        click.confirm("Remove all of it from the kernel?", abort=True, err=True)
    try:
        if not tc_reasons:
            backends.shaper.clear()
        if not nft_reasons:
            backends.firewall.clear()
    except EnforcementError as exc:
        raise CommandFailed(f"could not clear the kernel: {exc}", EXIT_FAILURE) from exc
    click.echo("cleared: nothing of Warden's is left in the kernel")
