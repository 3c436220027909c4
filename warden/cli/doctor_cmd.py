"""``warden doctor``: what this machine can do."""

from __future__ import annotations

import click

from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.exits import EXIT_FAILURE
from warden.cli.output import print_json, print_table
from warden.doctor import run_checks


@click.command()
@json_option
@pass_ctx
def doctor(state: CliContext, as_json: bool) -> None:
    """Check privileges, enforcement mode, tc, nft, the kernel's tc features, the brokers,
    the data dir and the database.

    Says DRY RUN when plans do not reach the kernel, and why. With CAP_NET_ADMIN, lists the
    qdiscs, classifiers and actions the kernel offers and what a missing one means (in
    --json under ``tc_features``). Exits 1 when something Warden cannot run without is
    missing.
    """
    report = run_checks(state.settings)
    if as_json:
        print_json(report)
    else:
        print_table(
            ["check", "", "detail"],
            [
                (c.name, "ok" if c.ok else ("FAIL" if c.required else "no"), c.detail)
                for c in report.checks
            ],
        )
    if not report.ok:
        raise SystemExit(EXIT_FAILURE)
