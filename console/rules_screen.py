"""Screen 6: the rules as stored, with their enabled state; ``e`` (admin) toggles one."""

from __future__ import annotations

from rich.text import Text
from sqlmodel import Session
from textual.binding import Binding

from console.base_screen import Row, TableScreen
from console.format import SEVERITY_STYLE, ago, styled
from console.text import plain
from core.models import CatalogPublic
from core.permissions import Permission
from core.services.rules import RULES


class RulesScreen(TableScreen[list[CatalogPublic]]):
    MODE_NAME = "rules"
    ENTITIES = ("rule",)
    COLUMNS = (
        ("enabled", "on"),
        ("id", "rule"),
        ("kind", "kind"),
        ("severity", "severity"),
        ("pack", "pack"),
        ("edited", "edited"),
        ("updated", "updated"),
    )
    BINDINGS = [Binding("e", "toggle", "Enable/disable")]
    HELP = "e        enable / disable the selected rule (admin)\n"

    def fetch(self, session: Session) -> list[CatalogPublic]:
        return RULES.list(session=session)

    def make_rows(self, data: list[CatalogPublic]) -> list[Row]:
        now = self.console.core.clock.now()
        return [
            (
                r.id,
                (
                    Text("on", style="green") if r.enabled else Text("off", style="dim"),
                    plain(r.id),
                    plain(r.kind),
                    styled(r.definition.get("severity"), SEVERITY_STYLE),
                    plain(r.pack),
                    Text(f"by {r.updated_by}" if r.edited else "", style="yellow"),
                    Text(ago(r.updated_at, now), style="dim"),
                ),
            )
            for r in data
        ]

    def show(self, data: list[CatalogPublic]) -> None:
        super().show(data)
        enabled = sum(1 for r in data if r.enabled)
        caption = f"{enabled} of {len(data)} rules enabled"
        if not data:
            caption = "no rules stored yet: `warden rules list` copies the shipped packs in"
        self.set_caption(caption)

    def action_toggle(self) -> None:
        found = [r for r in self.data or [] if r.id == self.selected_key]
        if not found:
            return
        rule = found[0]
        verb = "disable" if rule.enabled else "enable"
        self.act(
            Permission.CATALOG_WRITE,
            f"{verb} rule {rule.id}",
            lambda session, actor, now: RULES.set_enabled(
                session=session, entry_id=rule.id, enabled=not rule.enabled, actor=actor, now=now
            ),
            f"rule {rule.id} {verb}d",
        )
