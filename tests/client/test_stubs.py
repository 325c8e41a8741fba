"""The stubs type checkers read for the functions built at import time (``client/sync_calls.pyi``,
``client/async_calls.pyi``) are what ``python -m client.stubs`` writes today, and name exactly the
functions and parameters the modules have."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from client import async_calls, stubs, sync_calls

CLIENT = Path(stubs.__file__).resolve().parent


@pytest.mark.parametrize(("file", "is_async"), stubs.STUBS.items())
def test_the_checked_in_stub_is_what_the_script_writes(file: str, is_async: bool) -> None:
    assert (CLIENT / file).read_text(encoding="utf-8") == stubs.stub_text(is_async), "run: python -m client.stubs"


@pytest.mark.parametrize(("file", "module"), [("sync_calls.pyi", sync_calls), ("async_calls.pyi", async_calls)])
def test_the_stub_declares_every_function_with_its_parameters(file: str, module: object) -> None:
    tree = ast.parse((CLIENT / file).read_text(encoding="utf-8"))
    declared = {
        node.name: [a.arg for a in node.args.args]
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert set(declared) == set(module.__all__)  # type: ignore[attr-defined]
    for name, parameters in declared.items():
        function = getattr(module, name)
        assert parameters == list(inspect.signature(function).parameters), name
        assert inspect.iscoroutinefunction(function) == (module is async_calls), name


def test_the_package_says_it_is_typed() -> None:
    assert (CLIENT / "py.typed").is_file()


def test_check_mode_reports_nothing_stale(capsys: pytest.CaptureFixture[str]) -> None:
    assert stubs.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
