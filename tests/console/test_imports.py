"""The console's modules import each other in one direction: the screens depend on
``console.context`` (what they need of the app), never on ``console.app``, which imports
every screen. Imports made only for type checking count too."""

from __future__ import annotations

import grimp


def test_no_console_module_imports_the_app_or_sits_on_a_circle() -> None:
    graph = grimp.build_graph("console")
    modules = sorted(graph.modules)
    assert graph.find_modules_that_directly_import("console.app") == set()
    circles = [
        (module, imported)
        for module in modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("console") and graph.chain_exists(imported, module)
    ]
    assert circles == []
