"""``/rules`` and ``/playbooks``: the stored catalog entries; enable, disable and edit
them. One router factory serves both, as one ``Catalog`` class does in core."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from core.errors import NotFound
from core.models import CatalogPublic
from core.services.catalog import Catalog
from core.services.playbooks import PLAYBOOKS
from core.services.rules import RULES
from web.api.deps import CanRead, CanWriteCatalog, CoreDep, PagingDep
from web.api.schemas import CatalogEditIn, Page


def catalog_router(catalog: Catalog[Any], *, path: str) -> APIRouter:
    noun = catalog.noun
    router = APIRouter(prefix=path, tags=[f"{noun}s"])

    @router.get("", response_model=Page[CatalogPublic], name=f"list_{noun}s")
    def list_entries(core: CoreDep, actor: CanRead, paging: PagingDep) -> Page[CatalogPublic]:
        with core.db.reader() as session:
            return paging.page(catalog.list(session=session))

    @router.get("/{entry_id}", response_model=CatalogPublic, name=f"get_{noun}")
    def get_entry(entry_id: str, core: CoreDep, actor: CanRead) -> CatalogPublic:
        with core.db.reader() as session:
            for entry in catalog.list(session=session):
                if entry.id == entry_id:
                    return entry
        raise NotFound(f"no {noun} {entry_id!r}")

    @router.post("/{entry_id}/enable", response_model=CatalogPublic, name=f"enable_{noun}")
    def enable(entry_id: str, core: CoreDep, actor: CanWriteCatalog) -> CatalogPublic:
        with core.db.writer() as session:
            return catalog.set_enabled(
                session=session, entry_id=entry_id, enabled=True, actor=actor, now=core.clock.now()
            )

    @router.post("/{entry_id}/disable", response_model=CatalogPublic, name=f"disable_{noun}")
    def disable(entry_id: str, core: CoreDep, actor: CanWriteCatalog) -> CatalogPublic:
        with core.db.writer() as session:
            return catalog.set_enabled(
                session=session,
                entry_id=entry_id,
                enabled=False,
                actor=actor,
                now=core.clock.now(),
            )

    @router.patch("/{entry_id}", response_model=CatalogPublic, name=f"edit_{noun}")
    def edit(
        entry_id: str, body: CatalogEditIn, core: CoreDep, actor: CanWriteCatalog
    ) -> CatalogPublic:
        """Change fields of the definition; the result must validate as a whole, and
        ``id``, ``kind`` and ``pack`` cannot change."""
        with core.db.writer() as session:
            return catalog.update(
                session=session,
                entry_id=entry_id,
                changes=body.changes,
                actor=actor,
                now=core.clock.now(),
            )

    return router


rules_router = catalog_router(RULES, path="/rules")
playbooks_router = catalog_router(PLAYBOOKS, path="/playbooks")
