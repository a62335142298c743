"""The layout of ``docs/architecture.md`` holds: dependencies point one way (import-linter's
contracts in ``pyproject.toml``), and no process state hides in modules (no ``global``, no
cache created at import: every cache lives in ``caching.Caches``)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).parent.parent / "src" / "opengroups"
ROOT = SOURCE.parent.parent
CACHE_TYPES = {"LRU", "ExpiringLRU", "SignedLRU", "Caches", "WeakValueDictionary", "OrderedDict"}
CACHE_DECORATORS = {"cache", "lru_cache", "cached_property"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text())) for path in sorted(SOURCE.rglob("*.py"))]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def test_the_import_contracts_are_kept() -> None:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_keeps_state_in_a_global() -> None:
    found = [
        f"{path.relative_to(SOURCE)}:{node.lineno}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Global)
    ]
    assert found == []


def test_no_cache_is_created_at_import() -> None:
    found: list[str] = []
    for path, tree in _modules():
        for node in tree.body:  # module level only: instances made there live per process
            value = getattr(node, "value", None)
            made = isinstance(value, ast.Call) and _name(value) in CACHE_TYPES
            if isinstance(node, ast.Assign | ast.AnnAssign) and made:
                found.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in function.decorator_list:
                    if _name(decorator) in CACHE_DECORATORS:
                        found.append(
                            f"{path.relative_to(SOURCE)}:{function.lineno} @{_name(decorator)}"
                        )
    assert found == []
