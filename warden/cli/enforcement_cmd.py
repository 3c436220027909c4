"""``warden enforcement``: what the kernel is made to hold, and how (kernel or dry run)."""

from __future__ import annotations

import click

from core.services import enforcement_state
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json
from warden.enforcement import dry_run_reasons


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
    with state.core.db.reader() as session:
        last = enforcement_state.read(session=session, now=state.core.clock.now())
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
