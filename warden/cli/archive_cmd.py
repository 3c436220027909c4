"""``warden archive``: the S3 raw archive: list, fetch and replay what was received."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from core.errors import WardenError
from core.timeparse import parse_time
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table


class ArchiveUnavailable(WardenError):
    title = "No archive"


def _settings(state: CliContext):  # type: ignore[no-untyped-def]
    settings = state.settings
    if not settings.s3_url:
        raise ArchiveUnavailable("no S3 archive is configured: set WARDEN_S3_URL and its keys")
    return settings


@contextmanager
def _said() -> Iterator[None]:
    """S3's failures as one line an operator can act on."""
    from collectors.sinks.archive import describe, error_kind

    try:
        yield
    except WardenError:
        raise
    except Exception as exc:
        raise ArchiveUnavailable(
            f"the S3 archive failed: {error_kind(exc)}: {describe(exc)}"
        ) from exc


def _window(state: CliContext, since: str, until: str) -> tuple[int, int]:
    from core.clock import SystemClock, to_ms

    now = SystemClock().now()
    return to_ms(parse_time(since, now=now)), to_ms(parse_time(until, now=now))


@click.group()
def archive() -> None:
    """The raw archive in S3: every message as received (WARDEN_S3_URL)."""


@archive.command("list")
@click.option("--since", default="-24h", show_default=True, help="Oldest time (e.g. -2d).")
@click.option("--until", default="now", show_default=True)
@json_option
@pass_ctx
def list_(state: CliContext, since: str, until: str, as_json: bool) -> None:
    """The archived segments whose messages fall within the window."""
    from collectors.sinks.archive import list_objects

    settings = _settings(state)
    since_ms, until_ms = _window(state, since, until)
    with _said():
        objects = list_objects(settings, since_ms=since_ms, until_ms=until_ms)
    if as_json:
        print_json([{"key": o.key, "size": o.size} for o in objects])
        return
    print_table(["key", "bytes"], [[o.key, o.size] for o in objects])


@archive.command("get")
@click.argument("key")
@pass_ctx
def get(state: CliContext, key: str) -> None:
    """Print one segment's messages (NDJSON), checked against its sha256."""
    from collectors.sinks.archive import get_object

    with _said():
        data = get_object(_settings(state), key)
    sys.stdout.buffer.write(data)


@archive.command("replay")
@click.option("--since", required=True, help="Oldest receive time (e.g. -7d or 2026-12-01).")
@click.option("--until", default="now", show_default=True)
@click.option(
    "--into",
    "into",
    default=None,
    metavar="URL",
    help="Database to replay into (e.g. sqlite:////tmp/rebuilt.db); default: this one.",
)
@json_option
@pass_ctx
def replay(state: CliContext, since: str, until: str, into: str | None, as_json: bool) -> None:
    """Re-ingest archived messages through the live pipeline (telemetry is idempotent)."""
    from collectors.sinks.archive import records
    from collectors.sinks.replay import replay as run_replay
    from core.config import load_settings
    from core.runtime import open_core

    settings = _settings(state)
    since_ms, until_ms = _window(state, since, until)
    core = state.core
    if into:
        core = open_core(load_settings(state.config_file, database_url=into))
    try:
        with _said():
            result = run_replay(core, records(settings, since_ms=since_ms, until_ms=until_ms))
    finally:
        if into:
            core.close()
    out = {
        "replayed": dict(result.replayed),
        "stored_messages": result.stored_messages,
        "duplicates": result.duplicates,
        "refused": result.refused,
    }
    if as_json:
        print_json(out)
    else:
        sources = ", ".join(f"{n} {src}" for src, n in sorted(result.replayed.items())) or "none"
        click.echo(
            f"replayed {sources}: {result.stored_messages} MQTT message(s) stored, "
            f"{result.duplicates} already there, {result.refused} HTTP body(ies) refused"
        )
