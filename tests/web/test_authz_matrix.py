"""The authorization matrix: every route of the app's route table, called as anonymous,
viewer, operator and admin, answers as the permission table says. A route that declares
no permission fails here, so one added later without a check cannot slip through."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from core.models import Actor, Origin, Outcome, Role
from core.permissions import Permission, allowed
from core.runtime import Core
from core.services import audit
from tests.web.conftest import Headers
from web.api import device_routes
from web.api.app import API_PREFIX
from web.api.deps import permission_of

PUBLIC = {f"{API_PREFIX}/auth/login", f"{API_PREFIX}/auth/refresh"}
"""Routes that work without a token (they are how one gets a token)."""
REFUSED = {401, 403}
PLACEHOLDER = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permission: Permission | None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def api_endpoints(app: FastAPI) -> Iterator[Endpoint]:
    """Every method and path under /api/v1 that needs a signed-in user: all but signing
    in and the device routes (those take an X-API-Key and have their own tests)."""
    device_paths = {f"{API_PREFIX}{route.path}" for route in device_routes.router.routes}
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if not isinstance(route, APIRoute) or not path.startswith(f"{API_PREFIX}/"):
            continue
        if path in PUBLIC or path in device_paths:
            continue
        for method in sorted(context.methods or ()):
            yield Endpoint(method, path, permission_of(route))


def call(client: TestClient, endpoint: Endpoint, headers: Headers | None) -> int:
    """Call with plausible arguments: ids that do not exist and an empty JSON body, so
    what passes authorization answers 404, 400 or 422 (or 200 for a read) and nothing
    changes between callers."""
    path = PLACEHOLDER.sub("999999", endpoint.path)
    body = {} if endpoint.method in {"POST", "PATCH", "PUT"} else None
    answer = client.request(endpoint.method, path, json=body, headers=headers or {})
    assert answer.status_code < 500, f"{endpoint}: {answer.status_code} {answer.text}"
    return answer.status_code


def test_every_route_declares_a_permission(app: FastAPI):
    endpoints = list(api_endpoints(app))
    assert len(endpoints) > 40  # the enumeration really found the API
    undeclared = [str(e) for e in endpoints if e.permission is None]
    assert undeclared == [], f"routes without a permission check: {undeclared}"


def test_a_route_added_without_a_check_is_caught(app: FastAPI):
    @app.get(f"{API_PREFIX}/unguarded")
    def unguarded() -> dict[str, str]:
        return {}

    found = {str(e): e.permission for e in api_endpoints(app)}
    assert found[f"GET {API_PREFIX}/unguarded"] is None


def test_every_route_answers_as_the_permission_table_says(
    app: FastAPI, client: TestClient, core: Core, login: Callable[[Role], Headers]
):
    callers: dict[Role | None, Headers | None] = {None: None}
    callers.update({role: login(role) for role in Role})
    mismatches: list[str] = []
    refused_viewer = 0
    for endpoint in api_endpoints(app):
        assert endpoint.permission is not None, f"{endpoint} declares no permission"
        for role, headers in callers.items():
            status = call(client, endpoint, headers)
            if role is None:
                if status != 401:
                    mismatches.append(f"{endpoint} anonymous: {status}, expected 401")
                continue
            may = allowed(role, endpoint.permission)
            if may and status in REFUSED:
                mismatches.append(f"{endpoint} {role}: refused ({status}), should pass")
            elif not may and status != 403:
                mismatches.append(f"{endpoint} {role}: {status}, expected 403")
            if role == Role.VIEWER and not may:
                refused_viewer += 1
    assert mismatches == []
    assert refused_viewer > 10

    # Every refusal is in the audit log, as denied, from the API, with the address.
    with core.db.reader() as session:
        denied = audit.list_audit(
            session=session,
            actor=Actor.system(),
            actor_name="vera",
            outcome=Outcome.DENIED,
            limit=1000,
        ).items
    assert len(denied) == refused_viewer
    assert {(d.origin, d.address) for d in denied} == {(Origin.API, "testclient")}
