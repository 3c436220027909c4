"""No core module starts a process or makes an HTTP call itself: those engines live with
their workers (STYLE.md "Engines live with their workers"). import-linter forbids
``subprocess`` and the HTTP client libraries, but cannot name a submodule of the standard
library; this reads every source file of core for all of them, and for the ``os`` and
``asyncio`` functions that spawn processes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import core

CORE = Path(core.__file__).parent
FORBIDDEN_MODULES = (
    "subprocess",
    "pty",
    "urllib.request",
    "http.client",
    "urllib3",
    "httpx",
    "requests",
    "aiohttp",
)
SPAWNING = {
    "os": re.compile(r"system|popen|spawn\w*|exec\w*|posix_spawn\w*|fork\w*"),
    "asyncio": re.compile(r"create_subprocess_\w+"),
}


def offences(source: str) -> list[str]:
    """What in ``source`` imports a forbidden module or calls a spawning function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if _forbidden(node.module):
                found.append(f"from {node.module} import ...")
            found += [
                f"from {node.module} import {a.name}"
                for a in node.names
                if _forbidden(f"{node.module}.{a.name}") or _spawns(node.module, a.name)
            ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and _spawns(node.value.id, node.attr)
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN_MODULES)


def _spawns(module: str, name: str) -> bool:
    pattern = SPAWNING.get(module)
    return pattern is not None and pattern.fullmatch(name) is not None


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess",
        "import urllib.request as fetch",
        "from urllib import request",
        "from urllib.request import urlopen",
        "from http.client import HTTPSConnection",
        "from http import client",
        "import httpx",
        "import requests.adapters",
        "import os\nos.system('true')",
        "from os import popen",
        "import asyncio\nasyncio.create_subprocess_exec('true')",
    ],
)
def test_every_way_of_reaching_out_is_found(source: str) -> None:
    assert offences(source)


@pytest.mark.parametrize(
    "source",
    [
        "from urllib.parse import urlsplit",
        "import http",
        "from http import HTTPStatus",
        "import os\nos.environ.get('X')",
        "from . import subprocess_names",
    ],
)
def test_what_stays_local_is_allowed(source: str) -> None:
    assert offences(source) == []


def test_no_core_module_starts_a_process_or_makes_an_http_call() -> None:
    found = {}
    for path in sorted(CORE.rglob("*.py")):
        if hits := offences(path.read_text(encoding="utf-8")):
            found[path.relative_to(CORE.parent).as_posix()] = hits
    assert found == {}
