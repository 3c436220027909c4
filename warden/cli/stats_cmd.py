"""``warden stats``: what the store holds."""

from __future__ import annotations

import click

from core.services.stats import store_stats
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json


@click.command()
@json_option
@pass_ctx
def stats(state: CliContext, as_json: bool) -> None:
    """Counts of devices, series, readings and dead letters."""
    with state.core.db.reader() as session:
        result = store_stats(session=session)
    if as_json:
        print_json(result)
        return
    status = ", ".join(f"{v} {k}" for k, v in sorted(result.devices_by_status.items()))
    reasons = ", ".join(f"{v} {k}" for k, v in sorted(result.dead_letters_by_reason.items()))
    print_fields(
        [
            ("devices", f"{result.devices}" + (f" ({status})" if status else "")),
            ("series", result.series),
            ("readings", result.readings),
            ("dead letters", f"{result.dead_letters}" + (f" ({reasons})" if reasons else "")),
            ("last change", result.last_change_id),
        ]
    )
