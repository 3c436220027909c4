"""Every route of the OpenAPI document, fed schemathesis' generated input (boundary values,
wrong types, huge numbers) as a signed-in admin through the in-process ASGI app: none
answers 500 (issue 15 item 16). A few examples per route keep the run short."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from core.config import load_settings
from core.models import Actor, Role
from core.runtime import Core, open_core
from core.services import sessions, users
from web.api.app import API_PREFIX, create_app

PASSWORD = "plenty of words, 12+"
EXAMPLES = 4


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Core, FastAPI]]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    core = open_core(load_settings(data_dir=data_dir))
    with core.db.writer() as session:
        users.add_user(
            session=session,
            name="ada",
            password=PASSWORD,
            role=Role.ADMIN,
            actor=Actor.system(),
            now=core.clock.now(),
        )
    try:
        yield core, create_app(core)
    finally:
        core.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Core, FastAPI]) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", fuzzed[1])
    # Generated examples, valid and invalid, but not schemathesis' exhaustive boundary
    # phase (hundreds of cases a route): test_bad_input holds the boundaries.
    loaded.config.phases.coverage.enabled = False
    return loaded


HEADERS: dict[str, str] = {}


def admin_headers(core: Core, app: FastAPI) -> dict[str, str]:
    """The admin's session, made again after a generated logout or password change
    ended it."""
    if not HEADERS:
        HEADERS.update(new_session(core, app))
    return HEADERS


def new_session(core: Core, app: FastAPI) -> dict[str, str]:
    with core.db.writer() as session:
        ada = users.get_user(session=session, name="ada")
        signed_in = sessions.start_session(session=session, user=ada, now=core.clock.now())
    token = app.state.tokens.issue(ada, session_id=signed_in.session_id)
    return {"Authorization": f"Bearer {token}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.timeout(300)  # one test for every route: ~45 s, more on a busy machine
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_500(case: schemathesis.Case, fuzzed: tuple[Core, FastAPI]) -> None:
    core, app = fuzzed
    response = case.call(headers=admin_headers(core, app))
    if response.status_code == 401 and "session has ended" in response.text:
        HEADERS.clear()
        response = case.call(headers=admin_headers(core, app))
    # 503 is /readyz saying, rightly, that no agent runs here.
    assert response.status_code != 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    )
