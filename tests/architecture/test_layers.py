"""The layer order of DESIGN §7.2, checked on the source: every import (module level or inside a
function) of a module under src/featlearn goes to its own layer or a lower one, there are no import
cycles between subpackages, and only `__init__.py` and `cli/` import names from the package root."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "featlearn"

# unit (top-level module or subpackage of featlearn) -> layer; imports may only go to a layer ≤ their own.
LAYERS = {
    "_version": 0, "_cache": 0, "fits": 0, "records": 0, "gaussian": 0, "io": 0,
    "config": 1, "model": 1,
    "teacher": 2, "data": 2,
    "objective": 3,
    "diagnostics": 4, "baselines": 4,
    "train": 5,
    "sweep": 6, "experiments": 6,
    "report": 7,
    "workflows": 8, "progress": 8, "plot": 8, "bench": 8, "cli": 8, "__main__": 8,
}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "featlearn":
        return None
    return parts[1] if len(parts) > 1 else "<root>"


def _imports(path: Path):
    """(imported featlearn module, line, names) for every import statement in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno, tuple(a.name for a in node.names)


def _source_files():
    return sorted(p for p in SRC.rglob("*.py"))


def _owner(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def edges():
    out = []
    for path in _source_files():
        owner = _owner(path)
        for module, line, names in _imports(path):
            unit = _unit(module)
            if unit is None:
                continue
            if unit == "<root>":  # `from featlearn import x`: a submodule import, unless x is a root name
                for n in names:
                    out.append((path, line, owner, n if n in LAYERS else "<root>", module, n))
                if not names:
                    out.append((path, line, owner, "<root>", module, ""))
            else:
                out.append((path, line, owner, unit, module, ""))
    return out


def test_every_unit_has_a_layer():
    units = {_owner(p) for p in _source_files()} - {"__init__"}
    assert units <= set(LAYERS), f"add these to LAYERS: {sorted(units - set(LAYERS))}"


def test_imports_only_go_down():
    bad = [f"{p.relative_to(SRC)}:{line}: {owner} (layer {LAYERS[owner]}) imports {module} (layer {LAYERS[unit]})"
           for p, line, owner, unit, module, _ in edges()
           if owner in LAYERS and unit in LAYERS and LAYERS[unit] > LAYERS[owner]]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_report_draws_records_only():
    bad = [f"{p.relative_to(SRC)}:{line}: imports {module}" for p, line, owner, unit, module, _ in edges()
           if owner == "report" and unit in ("train", "sweep", "experiments")]
    assert not bad, "\n".join(bad)


def test_only_init_and_cli_import_the_package_root():
    bad = [f"{p.relative_to(SRC)}:{line}: from {module} import {name or '*'}" for p, line, owner, unit, module, name in edges()
           if unit == "<root>" and owner not in ("__init__", "cli")]
    assert not bad, "package-root imports:\n" + "\n".join(bad)


def test_no_cycles_between_units():
    graph: dict[str, set[str]] = {}
    for _, _, owner, unit, _, _ in edges():
        if owner != unit and owner in LAYERS and unit in LAYERS:
            graph.setdefault(owner, set()).add(unit)
    cycles = []

    def visit(node, stack):
        for nxt in graph.get(node, ()):
            if nxt in stack:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif len(stack) < len(LAYERS):
                visit(nxt, stack + [nxt])

    for start in graph:
        visit(start, [start])
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_cli_commands_are_registered_explicitly():
    """No command module imports the app back from cli/main.py (which imports them)."""
    bad = [f"{p.relative_to(SRC)}:{line}" for p, line, owner, unit, module, _ in edges()
           if owner == "cli" and module == "featlearn.cli.main" and p.name != "main.py"]
    assert not bad, bad


@pytest.mark.parametrize("bad_src, expect", [
    ("from featlearn.report.plots import draw\n", "upward"),
    ("import featlearn\n", "root"),
])
def test_the_checker_can_fail(tmp_path, bad_src, expect):
    """The walker sees a function-local upward import and a package-root import in a lower layer."""
    fake = tmp_path / "featlearn"
    (fake / "model.py").parent.mkdir(parents=True)
    (fake / "model.py").write_text("def f():\n    " + bad_src.replace("\n", "\n    ") + "pass\n")
    globals()["SRC"] = fake
    try:
        if expect == "upward":
            with pytest.raises(AssertionError, match="upward"):
                test_imports_only_go_down()
        else:
            with pytest.raises(AssertionError, match="package-root"):
                test_only_init_and_cli_import_the_package_root()
    finally:
        globals()["SRC"] = Path(__file__).resolve().parents[2] / "src" / "featlearn"
