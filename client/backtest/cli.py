"""``sandex backtest``, ``sandex sweep`` and ``sandex run``: strategy files from the command line
(added to the ``sandex`` command as a plugin, see ``simulator.cli``)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runner import BacktestSettings

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]  # what add_subparsers returns


def register(sub: Subcommands) -> None:
    backtest = sub.add_parser("backtest", help="run a strategy file over history in simulated time, with a report")
    _common(backtest)
    backtest.add_argument(
        "--data",
        metavar="FILE",
        default="",
        help="a Binance aggTrades or klines file (csv, zip, parquet); default: the sample day",
    )
    backtest.add_argument(
        "--out", metavar="DIR", default="backtest-report", help="where the report goes (default ./backtest-report)"
    )
    backtest.add_argument("--no-plots", action="store_true", help="JSON and CSV only, no PNG or HTML")
    backtest.add_argument("--quiet", action="store_true", help="no progress bar")
    backtest.set_defaults(handler=_backtest)

    sweep = sub.add_parser("sweep", help="run a strategy over a grid of parameters and/or data files in parallel")
    _common(sweep)
    sweep.add_argument(
        "--data",
        metavar="FILE",
        action="append",
        default=[],
        help="a data file (repeat for several; default: the sample day)",
    )
    sweep.add_argument(
        "--grid",
        metavar="NAME=V1,V2|A:B:STEP",
        action="append",
        default=[],
        help="values of one parameter to try (repeat for several)",
    )
    sweep.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: every core)")
    sweep.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="run on a Ray cluster (ADDRESS, or 'local' for a Ray started on this machine)",
    )
    sweep.add_argument("--out", metavar="DIR", default="sweep-report", help="where the table goes")
    sweep.add_argument("--top", type=int, default=20, help="rows printed (all are written)")
    sweep.set_defaults(handler=_sweep)

    run = sub.add_parser("run", help="run a strategy file live: against sandex serve, the testnet or the exchange")
    run.add_argument("strategy", metavar="STRATEGY", help="a strategy file (see examples/)")
    run.add_argument(
        "--target",
        default=None,
        help="embedded, a sandex URL (http://127.0.0.1:8765), testnet or live (default: SANDEX_TARGET, "
        "else embedded); keys from BINANCE_API_KEY / BINANCE_SECRET_KEY",
    )
    run.add_argument("--symbol", default="BTC/USDT")
    run.add_argument("--timeframe", default=None, help="the step (default: the file's TIMEFRAME)")
    run.add_argument("--param", metavar="NAME=VALUE", action="append", default=[], help="a strategy parameter")
    run.add_argument("--steps", type=int, default=None, help="stop after this many candles (default: Ctrl-C)")
    run.set_defaults(handler=_run)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("strategy", metavar="STRATEGY", help="a strategy file (see examples/)")
    parser.add_argument("--symbol", default="BTC/USDT", help="the market the data is of (default BTC/USDT)")
    parser.add_argument("--start", type=_time, default=None, help="ISO date/time (UTC) or ms: replay from here")
    parser.add_argument("--end", type=_time, default=None, help="ISO date/time (UTC) or ms: replay up to here")
    parser.add_argument(
        "--balance",
        metavar="ASSET=AMOUNT",
        action="append",
        default=[],
        help="a starting balance (repeat; default USDT=10000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of everything random (default 1)")
    parser.add_argument("--timeframe", default=None, help="the step (default: the file's TIMEFRAME)")
    parser.add_argument("--param", metavar="NAME=VALUE", action="append", default=[], help="a strategy parameter")


def _time(text: str) -> int:
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an ISO date/time such as 2024-01-15T06:00 or ms"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _settings(args: argparse.Namespace, data: str = "") -> BacktestSettings:
    from .runner import DEFAULT_BALANCES, BacktestSettings
    from .strategy import parse_param

    balances = dict(DEFAULT_BALANCES)
    if args.balance:
        balances = {}
        for text in args.balance:
            asset, sep, amount = text.partition("=")
            if not sep or not asset or not amount:
                raise SystemExit(f"--balance {text!r}: expected ASSET=AMOUNT, e.g. USDT=10000")
            balances[asset.upper()] = amount
    return BacktestSettings(
        os.path.abspath(args.strategy),
        data,
        args.symbol,
        args.start,
        args.end,
        balances,
        args.seed,
        args.timeframe,
        dict(parse_param(p) for p in args.param),
        progress=not getattr(args, "quiet", True) and sys.stderr.isatty(),
    )


def _backtest(args: argparse.Namespace) -> int:
    from .extras import MissingExtra
    from .report import summary_table, write_report
    from .runner import run_backtest

    try:
        result = run_backtest(_settings(args, args.data))
        files = write_report(result, args.out, plots=not args.no_plots)
    except MissingExtra as e:
        raise SystemExit(f"sandex backtest: {e}") from None
    print(summary_table(result))
    for kind, path in files.items():
        print(f"  {kind:<16}{path}")
    if result.error:
        print(f"the strategy stopped early: {result.error}", file=sys.stderr)
        return 1
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from .extras import MissingExtra
    from .sweep import grid_runs, parse_grid, run_sweep, sweep_table, write_sweep

    runs = grid_runs(_settings(args), parse_grid(args.grid), args.data or None)
    try:
        rows = run_sweep(runs, workers=args.workers, ray_address=args.ray, progress=sys.stderr.isatty())
    except MissingExtra as e:
        raise SystemExit(f"sandex sweep: {e}") from None
    files = write_sweep(rows, args.out)
    print(sweep_table(rows, top=args.top))
    for kind, path in files.items():
        print(f"  {kind:<16}{path}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from ..credentials import Credential
    from .live import run_live
    from .strategy import load, parse_param

    if {"BINANCE_API_KEY", "BINANCE_SECRET_KEY"} & os.environ.keys():
        credential = Credential.from_env("binance", target=args.target)
    else:  # no keys: placeholders, which only the embedded simulator accepts (it funds any key it sees)
        credential = Credential.new("binance", target=args.target, apiKey="sandex-run-key", secret="sandex-run-secret")
    strategy = load(args.strategy)
    print(
        f"running {strategy.name} on {args.symbol} every {args.timeframe or strategy.timeframe} "
        f"against {credential.target or os.environ.get('SANDEX_TARGET') or 'embedded'}; Ctrl-C stops",
        flush=True,
    )
    handled = run_live(
        strategy, credential, args.symbol, dict(parse_param(p) for p in args.param), args.timeframe, args.steps
    )
    print(f"{handled} candles handled", flush=True)
    return 0
