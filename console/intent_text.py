"""How intents read in the console: the bar's preview, a plan, an intent's detail, its
status and verdict cells (a dry run said as one), and the note above an apply
confirmation. Pure functions of core's public models; no widgets."""

from __future__ import annotations

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from console.format import VERDICT_STYLE
from console.text import plain, strip_ansi
from core.errors import WardenError
from core.models import IntentPublic, PolicyStatus
from core.runtime import Core
from core.services import intent_preview
from core.services.intent_preview import IntentPreview, PlanPreview
from core.services.overview import DaemonState


def preview_text(sentence: str, core: Core) -> Text:
    """What the bar shows under a sentence: the parse error, or each intent's explanation
    and the devices it resolves to."""
    if not sentence.strip():
        return Text("type an intent; enter plans and applies it", style="dim")
    try:
        with core.db.reader() as session:
            shown = intent_preview.preview(session=session, text=sentence)
    except (WardenError, SQLAlchemyError) as exc:
        return Text("✗ ", style="red").append_text(plain(str(exc)))
    return _preview_text(shown)


def _preview_text(shown: IntentPreview) -> Text:
    if shown.error is not None:
        text = Text("✗ ", style="red").append_text(plain(shown.error.message))
        if shown.error.suggestions:
            text.append("  try: ", style="dim").append_text(
                plain(" · ".join(shown.error.suggestions[:3]), "cyan")
            )
        return text
    text = Text()
    for intent in shown.intents:
        if text:
            text.append("\n")
        text.append("✓ ", style="green").append_text(plain(intent.explanation))
        targets = ", ".join(intent.targets) or "no device"
        text.append(" → ", style="dim").append_text(plain(targets))
    for warning in shown.warnings:
        text.append("\n  ").append_text(plain(warning, "yellow"))
    return text


def plan_text(planned: PlanPreview) -> Text:
    text = Text().append_text(plain(planned.text, "bold")).append("\n\n")
    text.append_text(Text(strip_ansi(planned.rendered)))
    for conflict in planned.conflicts:
        text.append("\nConflict: ", style="bold red").append_text(plain(conflict))
    for warning in planned.warnings:
        text.append("\nWarning: ", style="yellow").append_text(plain(warning))
    return text


def intent_text(intent: IntentPublic) -> Text:
    text = Text().append_text(plain(intent.explanation, "bold"))
    text.append("\n").append_text(plain(intent.text, "dim"))
    text.append("\nstatus ").append_text(status_cell(intent))
    text.append("  verdict ").append_text(verdict_cell(intent))
    if intent.dry_run is None:
        text.append(f"  satisfied {satisfaction(intent)}")
    else:
        text.append("\nDRY RUN: ", style="bold yellow")
        text.append_text(plain(f"recorded, not applied ({dry_reason(intent.dry_run)})", "yellow"))
    if intent.verdict_reason and intent.dry_run is None:
        text.append_text(plain(f"\n{intent.verdict_reason}"))
    text.append("\n\nPolicies", style="bold underline")
    for policy in intent.policies:
        text.append("\n").append_text(plain(policy.summary)).append(": ")
        style = "yellow" if policy.status == PolicyStatus.DRY_RUN else ""
        text.append_text(plain(policy.status_label, style))
    return text


def status_cell(intent: IntentPublic) -> Text:
    """``active``, ``planned (dry run)`` (yellow), ``revoked`` (dim)..."""
    if intent.dry_run is not None:
        return Text(intent.status_label, style="yellow")
    return Text(intent.status_label, style="bold" if intent.status.live else "dim")


def verdict_cell(intent: IntentPublic) -> Text:
    """The last verdict in its colour; ``unverifiable (dry run)`` in a dry run."""
    label = intent.verdict_label
    if label is None:
        return Text("unchecked", style="dim")
    return Text(label, style=VERDICT_STYLE.get(str(intent.verdict), "dim"))


def dry_reason(dry_run: str) -> str:
    """``dry run: no LAN interface…`` → ``no LAN interface…``."""
    return dry_run.removeprefix("dry run: ")


def dry_run(daemon: DaemonState) -> bool:
    return daemon.running and daemon.dry_run


def enforcement_note(daemon: DaemonState) -> Text:
    """What applying will do, above the plan: a dry run said as one, with why; a daemon
    that is not running, which applies the intent once it runs."""
    if dry_run(daemon):
        reasons = "; ".join(daemon.dry_run_reasons) or "the enforcement backends are dry runs"
        return (
            Text("DRY RUN: ", style="bold black on yellow")
            .append_text(plain(f"the kernel is not changed ({reasons}).", "bold yellow"))
            .append(
                "\nThe intent is recorded as planned (dry run); device settings are still sent.\n\n"
            )
        )
    if not daemon.running:
        state = "has never run" if not daemon.ever_ran else "is not running"
        return Text(
            f"The daemon {state}: the intent is stored now and applied when it runs.\n\n",
            style="yellow",
        )
    return Text()


def satisfaction(intent: IntentPublic) -> str:
    """``9/10 (90%)``: checks that found it satisfied, of all its checks."""
    if intent.dry_run is not None or not intent.checks or intent.satisfaction is None:
        return "-"
    return (
        f"{round(intent.satisfaction * intent.checks)}/{intent.checks} ({intent.satisfaction:.0%})"
    )
