"""The architecture page stays true: it names every module of the three packages, and every module
it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
PACKAGES = ("engine", "simulator", "client")


def _modules() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if path.name == "__init__.py" and relative.parent.as_posix() != package:
                continue  # a subpackage is described by its modules
            if "samples" in relative.parts:
                continue  # generated data, not code
            found.add(relative.as_posix())
    return found


def _named() -> set[str]:
    return set(re.findall(r"`((?:engine|simulator|client)/[\w/]+\.py)`", PAGE.read_text()))


def test_every_module_is_on_the_architecture_page() -> None:
    missing = sorted(_modules() - _named())
    assert not missing, f"docs/architecture.md does not describe: {missing}"


def test_every_module_on_the_page_exists() -> None:
    gone = sorted(_named() - _modules())
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"
