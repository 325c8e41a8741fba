"""Type stubs of the functions built at import time: ``python -m client.stubs`` writes
``sync_calls.pyi`` and ``async_calls.pyi`` beside their modules (``--check`` only compares).

The functions are made from one list of ccxt's method names (``methods``), so type checkers and
editors cannot see them; the stubs spell out each one's signature as ccxt declares it: the
parameters of ``ccxt.Exchange``'s method and the unified structure binance's method returns.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
import typing
from pathlib import Path

import ccxt
import ccxt.pro as ccxt_pro

from .methods import PRIVATE, PUBLIC, STREAMING, ccxt_parameters

HERE = Path(__file__).resolve().parent
STUBS = {"sync_calls.pyi": False, "async_calls.pyi": True}  # file -> awaitable
_BARE: dict[type, str] = {dict: "dict[str, Any]", list: "list[Any]"}  # ccxt's unparameterised containers
LINE = 120  # ruff's line length


class _Imports:
    """The names a stub's annotations use, by module."""

    def __init__(self) -> None:
        self.by_module: dict[str, set[str]] = {"typing": {"Any"}}

    def name(self, module: str, name: str) -> str:
        self.by_module.setdefault(module, set()).add(name)
        return name

    def lines(self) -> list[str]:
        first = [m for m in sorted(self.by_module) if m.split(".")[0] in sys.stdlib_module_names]
        third = [m for m in sorted(self.by_module) if m not in first]
        blocks = [
            [_wrapped(f"from {m} import ", sorted(self.by_module[m]), "") for m in group]
            for group in (first, third)
            if group
        ]
        return [line for block in blocks for line in [*block, ""]]


def _wrapped(head: str, items: list[str], tail: str) -> str:
    """``head(items)tail`` on one line if it fits in ruff's 120 columns, else one item a line."""
    line = f"{head}{', '.join(items)}{tail}" if not head.endswith("(") else f"{head}{', '.join(items)}){tail}"
    if len(line) <= LINE:
        return line
    opening = head if head.endswith("(") else head + "("
    return "\n".join([opening, *(f"    {item}," for item in items), f"){tail}"])


def _render(annotation: object, imports: _Imports) -> str:
    """An annotation object as stub text."""
    if annotation is inspect.Parameter.empty or annotation is typing.Any:
        return "Any"
    if annotation is None or annotation is type(None):
        return "None"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return f"{imports.name('typing', 'Literal')}[{', '.join(repr(a) for a in args)}]"
    if origin in (typing.Union, types.UnionType):
        members = sorted(args, key=lambda a: a is type(None))  # None last, the rest in ccxt's order
        return " | ".join(_render(a, imports) for a in members)
    if origin is not None:
        return f"{_render(origin, imports).split('[')[0]}[{', '.join(_render(a, imports) for a in args)}]"
    if isinstance(annotation, type):
        if annotation.__module__ == "builtins":
            return _BARE.get(annotation) or annotation.__qualname__
        return imports.name(annotation.__module__, annotation.__qualname__)
    raise TypeError(f"no stub text for the annotation {annotation!r}")


def _parameter(parameter: inspect.Parameter, imports: _Imports) -> str:
    annotation = parameter.annotation
    if annotation is inspect.Parameter.empty and parameter.default not in (inspect.Parameter.empty, None):
        annotation = type(parameter.default)  # ccxt's few unannotated ones: reload=False, params={}
    text = f"{parameter.name}: {_render(annotation, imports)}"
    return text if parameter.default is inspect.Parameter.empty else text + " = ..."


def _function(name: str, is_async: bool, imports: _Imports) -> str:
    parameters = ["credentials: Credential | str", *(_parameter(p, imports) for p in ccxt_parameters(name))]
    declared_by = ccxt_pro.binance if name in STREAMING else ccxt.binance  # (the WebSocket methods are ccxt.pro's)
    returns = _render(inspect.signature(getattr(declared_by, name)).return_annotation, imports)
    return _wrapped(f"{'async ' if is_async else ''}def {name}(", parameters, f" -> {returns}: ...")


def stub_text(is_async: bool) -> str:
    """The stub of ``async_calls`` (``is_async``) or ``sync_calls``."""
    imports = _Imports()
    methods = PRIVATE + PUBLIC + (STREAMING if is_async else ())
    functions = [_function(name, is_async, imports) for name in methods]
    names = "".join(f'    "{name}",\n' for name in sorted(methods))
    return "\n".join(
        [
            "# Written by `python -m client.stubs` from ccxt's signatures; do not edit.",
            "",
            *imports.lines(),
            "from .credentials import Credential",
            "",
            f"__all__ = [\n{names}]",
            "",
            *functions,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m client.stubs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a stub is out of date")
    args = parser.parse_args(argv)
    stale = []
    for file, is_async in STUBS.items():
        path, text = HERE / file, stub_text(is_async)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(file)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    print(f"{verb}: {', '.join(stale)}" if stale else "stubs up to date")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
