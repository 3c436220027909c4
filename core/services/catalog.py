"""Rules and playbooks as stored entries: copied in from the shipped packs, then enabled,
disabled and edited by operators, and read back by whatever runs them.

One ``Catalog`` serves both (``RULES`` in ``core.services.rules``, ``PLAYBOOKS`` in
``core.services.playbooks``): the entries differ only in the pydantic model that validates
their definition. Every edit goes through that model, so a stored definition is always
one the engine can run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.models import Actor, CatalogPublic, PlaybookRecord, RuleRecord
from core.packs import explain
from core.permissions import Permission, authorize
from core.services.changes import record_change

log = logging.getLogger(__name__)

Entry = TypeVar("Entry", bound=BaseModel)
Record = RuleRecord | PlaybookRecord

FIXED_FIELDS = frozenset({"id", "kind", "pack"})
"""What an edit may not change: the identity of the entry."""


class Catalog(Generic[Entry]):
    def __init__(
        self,
        model: type[RuleRecord] | type[PlaybookRecord],
        parse: Callable[[dict[str, Any]], Entry],
        *,
        noun: str,
    ) -> None:
        self.model = model
        self.parse = parse
        self.noun = noun

    def sync(self, *, session: Session, shipped: Sequence[Entry], now: datetime) -> int:
        """Copy the shipped entries in: new ones are added, untouched ones follow the pack
        (keeping their enabled flag), edited ones stay as the operator left them. Returns
        how many rows were added or updated."""
        stored = {r.id: r for r in session.exec(select(self.model))}
        changed = 0
        for entry in shipped:
            definition = entry.model_dump(mode="json")
            record = stored.get(definition["id"])
            if record is None:
                session.add(
                    self.model(
                        id=definition["id"],
                        pack=definition.get("pack", ""),
                        kind=definition.get("kind", self.noun),
                        definition=definition,
                        enabled=definition.get("enabled", True),
                        updated_at=now,
                    )
                )
                changed += 1
            elif not record.edited:
                definition["enabled"] = record.enabled
                if definition != record.definition:
                    record.definition = definition
                    record.pack = definition.get("pack", "")
                    record.updated_at = now
                    record.revision += 1
                    session.add(record)
                    changed += 1
        session.commit()
        return changed

    def list(self, *, session: Session) -> list[CatalogPublic]:
        rows = session.exec(select(self.model).order_by(col(self.model.id)))
        return [CatalogPublic.model_validate(r, from_attributes=True) for r in rows]

    def get(self, *, session: Session, entry_id: str) -> Entry:
        """The stored entry; ``InvalidInput`` saying how to fix one that no longer
        validates (an edit made before the model changed, e.g. a diagnostic ``argv``)."""
        definition = self._record(session, entry_id).definition
        try:
            return self.parse(definition)
        except ValidationError as exc:
            raise InvalidInput(
                f"stored {self.noun} {entry_id} is not valid any more, so it does not run: "
                f"{explain(exc, definition.get('kind'))}; `warden {self.noun}s set {entry_id} "
                f"FIELD=VALUE` or `warden {self.noun}s reset {entry_id}` fixes it"
            ) from None

    def loaded(self, *, session: Session) -> list[Entry]:
        """Every stored entry as its model. One that no longer validates (a model changed
        under an old edit) is left out and logged, never run half-understood."""
        out: list[Entry] = []
        for record in session.exec(select(self.model).order_by(col(self.model.id))):
            try:
                out.append(self.parse(record.definition))
            except ValidationError as exc:
                log.error("stored %s %s is invalid, not run: %s", self.noun, record.id, exc)
        return out

    def version(self, *, session: Session) -> tuple[int, int]:
        """Changes whenever an entry is added, edited, enabled or disabled: every write
        bumps its entry's ``revision``, so (count, sum of revisions) only grows."""
        count, revisions = session.exec(
            select(func.count(), func.coalesce(func.sum(self.model.revision), 0))  # type: ignore[arg-type]
        ).one()
        return int(count), int(revisions)

    def set_enabled(
        self, *, session: Session, entry_id: str, enabled: bool, actor: Actor, now: datetime
    ) -> CatalogPublic:
        authorize(actor, Permission.CATALOG_WRITE)
        record = self._record(session, entry_id)
        record.enabled = enabled
        record.definition = {**record.definition, "enabled": enabled}
        return self._save(session, record, actor, now, "enabled" if enabled else "disabled")

    def update(
        self,
        *,
        session: Session,
        entry_id: str,
        changes: Mapping[str, Any],
        actor: Actor,
        now: datetime,
    ) -> CatalogPublic:
        """Change fields of an entry; the result must validate as a whole."""
        authorize(actor, Permission.CATALOG_WRITE)
        if not changes:
            raise InvalidInput("nothing to change: give FIELD=VALUE pairs")
        fixed = sorted(set(changes) & FIXED_FIELDS)
        if fixed:
            raise InvalidInput(f"{', '.join(fixed)} cannot be changed")
        record = self._record(session, entry_id)
        definition = {**record.definition, **changes}
        try:
            entry = self.parse(definition)
        except ValidationError as exc:
            raise InvalidInput(
                f"{self.noun} {entry_id}: {explain(exc, definition.get('kind'))}"
            ) from None
        record.definition = entry.model_dump(mode="json")
        record.enabled = record.definition.get("enabled", True)
        record.edited = True
        fields = ", ".join(f"{k}={v!r}" for k, v in changes.items())
        return self._save(session, record, actor, now, "edited", fields)

    def reset(
        self, *, session: Session, shipped: Entry, actor: Actor, now: datetime
    ) -> CatalogPublic:
        """Back to the shipped definition (keeping the enabled flag)."""
        authorize(actor, Permission.CATALOG_WRITE)
        definition = shipped.model_dump(mode="json")
        record = self._record(session, definition["id"])
        record.definition = {**definition, "enabled": record.enabled}
        record.edited = False
        return self._save(session, record, actor, now, "reset", "back to the shipped definition")

    def _record(self, session: Session, entry_id: str) -> Record:
        record = session.get(self.model, entry_id)
        if record is None:
            raise NotFound(f"no {self.noun} {entry_id!r}; `warden {self.noun}s list` shows them")
        return record

    def _save(
        self,
        session: Session,
        record: Record,
        actor: Actor,
        now: datetime,
        verb: str,
        what: str = "",
    ) -> CatalogPublic:
        record.updated_by = actor.name
        record.updated_at = now
        record.revision += 1
        session.add(record)
        record_change(
            session=session,
            actor=actor,
            kind=f"{self.noun}.{verb}",
            entity=self.noun,
            entity_id=record.id,
            summary=f"{self.noun} {record.id} {verb}" + (f": {what}" if what else ""),
        )
        session.commit()
        return CatalogPublic.model_validate(record, from_attributes=True)
