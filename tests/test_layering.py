"""The package layout holds: imports between the top-level packages of ``gluteguard`` flow one way (no cycles; the
pure domains never reach the store, services, reports, web or CLI), no private name is imported across modules,
and the TOML data files are read only through ``gluteguard.rules_data``.

Read from the source with ``ast``, imports inside functions included, so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import gluteguard

ROOT = Path(gluteguard.__file__).parent
PURE_DOMAINS = frozenset({"ingest", "load", "symptoms", "plan", "gait", "sitting", "coach"})
EDGES = frozenset({"services", "store", "reports", "web", "cli"})
# The pose models' manifest (sha256 per model file) is not a rules file and its folder is not a package.
OWN_TOML_READERS = frozenset({"rules_data.py", "gait/pose/blazepose.py"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in the file, relative ones resolved."""
    module = _module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([target] if target else [])])
            yield target, [alias.name for alias in node.names], node.lineno


def _package(module: str) -> str | None:
    """The top-level package of a ``gluteguard`` module (``gluteguard.load.rules`` → ``load``), else None."""
    parts = module.split(".")
    if parts[0] != "gluteguard" or len(parts) < 2 or not (ROOT / parts[1]).is_dir():
        return None
    return parts[1]


def _sources() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) → where, for every import between two top-level packages."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in _sources():
        relative = path.relative_to(ROOT)
        source = relative.parts[0] if len(relative.parts) > 1 else None
        for module, names, line in _imports(path):
            targets = [f"{module}.{name}" for name in names] if module == "gluteguard" else [module]
            for target in map(_package, targets):
                if source and target and target != source:
                    edges.setdefault((source, target), []).append(f"{relative}:{line}")
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """Every group of packages that import each other, directly or round a loop (strongly connected components)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    reachable = {node: reach(node) for node in graph}
    groups = {frozenset({n, *(m for m in reachable[n] if n in reachable[m])}) for n in graph if n in reachable[n]}
    return sorted(sorted(group) for group in groups)


def test_no_import_cycles_between_packages() -> None:
    edges = package_edges()
    found = cycles(edges)
    where = {f"{a} → {b}": edges[(a, b)] for group in found for a in group for b in group if (a, b) in edges}
    assert found == [], where


def test_pure_domains_do_not_import_the_edges() -> None:
    wrong = {
        f"{a} → {b}": places
        for (a, b), places in package_edges().items()
        if (a in PURE_DOMAINS and b in EDGES) or (a == "reports" and b == "services")
    }
    assert wrong == {}


def test_no_private_names_imported_across_modules() -> None:
    found = []
    for path in _sources():
        for module, names, line in _imports(path):
            if module.startswith("gluteguard"):
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                found += [f"{path.relative_to(ROOT)}:{line}: {module}.{name}" for name in private]
    assert found == []


def test_toml_files_are_read_through_rules_data() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if any(module == "tomllib" for module, _names, _line in _imports(path))
    ]
    assert set(readers) <= OWN_TOML_READERS, readers
