"""Dependencies point one way (ARCHITECTURE.md): the API starts and updates workflows by name
(domain/case_contract.py), never by importing workflow, activity or worker code; workflows see only domain;
activities domain and store; store domain; domain nothing of ours. Only workers/ (the processes) import
everything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
OURS = ("api", "activities", "domain", "store", "workers", "workflows")
MAY_IMPORT = {
    "api": {"api", "domain", "store"},
    "workflows": {"workflows", "domain"},
    "activities": {"activities", "domain", "store"},
    "store": {"store", "domain"},
    "domain": {"domain"},
}
MODULES = sorted(path for package in MAY_IMPORT for path in (ROOT / package).rglob("*.py"))


def imported_modules(source: str) -> list[str]:
    """Every module a source file imports, wherever the import is (function bodies and TYPE_CHECKING too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def forbidden(module: str, package: str = "api") -> bool:
    top = module.split(".", 1)[0]
    return top in OURS and top not in MAY_IMPORT[package]


def test_the_check_sees_every_kind_of_import() -> None:
    source = (
        "import workflows.case_workflow\nfrom activities import mailer\ndef f():\n    from workers.cli import main\n"
    )
    assert [m for m in imported_modules(source) if forbidden(m)] == [
        "workflows.case_workflow",
        "activities",
        "workers.cli",
    ]
    assert not forbidden("store.temporal_client")
    assert not forbidden("domain.case_contract")


def test_the_check_holds_each_layer_to_its_own_list() -> None:
    assert forbidden("store.register", "workflows")
    assert forbidden("activities.mailer", "store")
    assert not forbidden("store.register", "activities")
    assert not forbidden("temporalio.workflow", "domain")


def test_there_are_modules_of_every_layer_to_check() -> None:
    assert {path.relative_to(ROOT).parts[0] for path in MODULES} == set(MAY_IMPORT)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_each_module_imports_only_the_layers_below_it(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    offending = [module for module in imported_modules(path.read_text()) if forbidden(module, package)]
    assert not offending, (
        f"{path.relative_to(ROOT)} imports {offending}: {package} may import {sorted(MAY_IMPORT[package])}"
    )
