"""The import direction: engine imports nothing of ours; simulator imports engine; client only
the simulator's launcher; benchmarks the public APIs of all three. Outside the engine (and its own
tests) only the engine's public modules are imported."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"engine", "simulator", "client", "tests", "benchmarks"}
ALLOWED = {
    "engine": set(),
    "simulator": {"engine"},
    "client": {"simulator.launcher"},
    "benchmarks": {"engine", "simulator", "client"},
}
# ``engine`` re-exports its API; ``engine.batch`` names the row layouts of batch calls. The rest
# (the compiled kernels ``_kernel`` and ``_exchange``, ``units``, ``margin``, ...) is internal.
ENGINE_PUBLIC = {"engine", "engine.batch"}
ENGINE_THIRD_PARTY = {"numpy", "numba", "sortedcontainers"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _allowed(package: str, name: str) -> bool:
    top = name.split(".")[0]
    if top not in OURS or top == package:
        return True
    return any(name == a or name.startswith(a + ".") for a in ALLOWED[package])


def test_packages_import_only_downstream() -> None:
    bad = []
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            bad += [f"{path.relative_to(ROOT)} imports {n}" for n in _imports(path) if not _allowed(package, n)]
    assert not bad, "\n".join(bad)


def test_engine_uses_only_the_standard_library_numpy_and_numba() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names)
    bad = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top not in stdlib and top not in ENGINE_THIRD_PARTY and top != "engine":
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_only_the_venue_holds_the_engine() -> None:
    """Every change goes through the venue (one writer, one journal): no other module of the
    simulator reaches for a venue's ``engine``."""
    bad = []
    for path in sorted((ROOT / "simulator").rglob("*.py")):
        if path.name == "venue.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "engine":
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} reaches for .engine")
    assert not bad, "\n".join(bad)


def _imported_modules(path: Path) -> set[str]:
    """Modules an import names, ``from engine import _kernel`` counting as ``engine._kernel``."""
    submodules = {p.stem for p in (ROOT / "engine").glob("*.py")}
    names = _imports(path)
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "engine":
            names.update(f"engine.{alias.name}" for alias in node.names if alias.name in submodules)
    return names


def test_only_the_engines_public_modules_are_imported_outside_it() -> None:
    """The engine's internals (kernels, unit arithmetic, margin math) may change shape: callers use
    ``engine`` and ``engine.batch``; only the engine's own tests look inside."""
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in OURS or rel.parts[0] == "engine" or rel.parts[:2] == ("tests", "engine"):
            continue
        for name in _imported_modules(path):
            if (name == "engine" or name.startswith("engine.")) and name not in ENGINE_PUBLIC:
                bad.append(f"{rel} imports {name}")
    assert not bad, "\n".join(bad)


# The domain: what it refuses it raises as ``simulator.refusals.Refused``; Binance's codes and
# messages live only at the HTTP edge (``binance_errors`` and the modules that answer requests).
DOMAIN = ("venue.py", "convert.py", "history.py", "accounts.py", "retention.py", "refusals.py", "margin")


def test_the_domain_does_not_speak_binances_codes() -> None:
    bad = []
    for entry in DOMAIN:
        where = ROOT / "simulator" / entry
        for path in sorted(where.rglob("*.py")) if where.is_dir() else [where]:
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    module = node.module or ""
                    names = [module, *(f"{module}.{alias.name}" if module else alias.name for alias in node.names)]
                if any(n.split(".")[-1] == "binance_errors" for n in names):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} imports binance_errors")
    assert not bad, "\n".join(bad)
