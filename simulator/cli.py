"""The ``sandex`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from .version import VERSION

if TYPE_CHECKING:
    from .config import SimulatorConfig
    from .durability import Recovery
    from .launcher import Simulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandex", description="A sandboxed crypto exchange you can run anywhere.")
    parser.add_argument("--version", action="version", version=f"sandex {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="tour the matching engine and measure it on a random order flow")
    demo.add_argument("--orders", type=int, default=200_000, help="random commands for the throughput run")
    demo.add_argument("--seed", type=int, default=1, help="seed of the random order flow")
    serve = sub.add_parser("serve", help="run the exchange simulator (Binance's REST API) on this machine")
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port to listen on (default 8765)")
    serve.add_argument("--config", default=None, help="a TOML file of settings (see SimulatorConfig)")
    serve.add_argument("--seed", type=int, default=None, help="seed of everything random (default 1)")
    serve.add_argument("--no-liquidity", action="store_true", help="start with empty order books")
    serve.add_argument("--static", action="store_true", help="a fixed two-sided book instead of moving markets")
    serve.add_argument(
        "--replay",
        metavar="FILE",
        default=None,
        help="replay a Binance data file (aggTrades or klines; csv, zip or parquet) in simulated time",
    )
    serve.add_argument("--replay-symbol", default=None, help="the market the replay trades (default: the first)")
    serve.add_argument("--replay-speed", type=int, default=None, help="simulated ms per wall ms (default 1)")
    serve.add_argument(
        "--mirror",
        metavar="EXCHANGE:SYMBOL",
        default=None,
        help="follow a real exchange's public book and trades, e.g. binance:BTC/USDT",
    )
    state = serve.add_mutually_exclusive_group()
    state.add_argument(
        "--state-dir",
        metavar="DIR",
        default=None,
        help="keep the journal and snapshots here and recover them on start "
        f"(default {DEFAULT_STATE_DIR}; a replay keeps its state in memory)",
    )
    state.add_argument("--ephemeral", action="store_true", help="keep the state in memory only: gone at exit")
    serve.add_argument(
        "--fsync",
        choices=("every", "batched"),
        default=None,
        help="every: each change reaches the disk before it is answered; batched (default): "
        "changes reach the operating system at once and the disk every 50 ms",
    )
    serve.add_argument(
        "--cut-damaged-journal",
        action="store_true",
        help="if the journal is damaged before good records, drop everything from the damage on "
        "(the cut bytes are kept beside the segment) instead of refusing to start",
    )
    serve.add_argument(
        "--admin-host",
        default=None,
        help="serve the admin API only on this address (with --admin-port), not beside Binance's API",
    )
    serve.add_argument(
        "--admin-port", type=int, default=None, help="port of the admin API's own address (default 8766)"
    )
    check = sub.add_parser(
        "verify",
        help="rebuild a state directory read-only and print its fingerprint (exit 2 if anything in it is damaged)",
    )
    check.add_argument("state_dir", metavar="DIR", help="a state directory written by sandex serve")
    check.add_argument("--config", default=None, help="the TOML file the server ran with, if any")
    check.add_argument(
        "--from-start", action="store_true", help="replay from the oldest snapshot kept instead of the newest"
    )
    for plugin in entry_points(group=PLUGIN_GROUP):  # commands of other installed packages (backtest, sweep, run)
        plugin.load()(sub)
    return parser


# A plugin is ``register(subparsers)``: it adds its commands, each with ``set_defaults(handler=f)``
# where ``f(args) -> int``; the simulator itself imports nothing of theirs.
PLUGIN_GROUP = "sandex.commands"


DEFAULT_STATE_DIR = "sandex-state"


def _refused(problem: Exception) -> None:
    """A start or check that cannot go ahead, in one line on stderr (the user can fix it)."""
    print(f"sandex: {problem}", file=sys.stderr, flush=True)


def _serve(args: argparse.Namespace) -> int:
    from .config import SimulatorConfig
    from .journal import JournalError
    from .launcher import StartRefused, serve

    given = (
        ("host", args.host),
        ("port", args.port),
        ("seed", args.seed),
        ("replay", args.replay),
        ("replay_symbol", args.replay_symbol),
        ("replay_speed", args.replay_speed),
        ("mirror", args.mirror),
        ("state_dir", args.state_dir),
        ("fsync", args.fsync),
        ("admin_host", args.admin_host),
        ("admin_port", args.admin_port),
    )
    overrides = {k: v for k, v in given if v is not None}
    if args.no_liquidity:
        overrides["liquidity"] = False
    if args.static:
        overrides["liquidity_mode"] = "static"
    if args.cut_damaged_journal:
        overrides["cut_damaged_journal"] = True
    if args.ephemeral:
        overrides["state_dir"] = ""
    config = SimulatorConfig.from_toml(args.config, **overrides) if args.config else SimulatorConfig(**overrides)
    if args.state_dir is None and not args.ephemeral and not config.state_dir and not config.replay:
        config = replace(config, state_dir=DEFAULT_STATE_DIR)

    def announce(sim: Simulator) -> None:
        c = sim.config
        print(f"sandex: Binance-compatible API on http://{c.host}:{c.port}", flush=True)
        print(f"  streams     ws://{c.host}:{c.port}/ws  (ccxt.pro: ws://{c.host}:{c.port}/stream/ws)", flush=True)
        if c.admin_host:
            print(f"  admin API   http://{c.admin_host}:{c.admin_port}", flush=True)
        print(f"  state       {_state_line(c, sim.recovery)}", flush=True)
        print(f"  markets     {', '.join(sim.venue.markets)}", flush=True)
        print(f"  API key     {c.demo_api_key}", flush=True)
        print(f"  API secret  {c.demo_api_secret}", flush=True)
        print(f"  admin token {c.admin_token}", flush=True)
        print("  Ctrl-C stops it.", flush=True)

    try:
        serve(config, on_ready=announce)
    except (StartRefused, JournalError) as e:  # a port or state directory in use, a damaged journal, ...
        _refused(e)
        return 1
    return 0


def _state_line(config: SimulatorConfig, recovery: Recovery) -> str:
    if not config.state_dir:
        return "in memory (gone at exit)"
    return f"{config.state_dir} (fsync {config.fsync}): {recovery}"


def _verify(args: argparse.Namespace) -> int:
    """0: the directory is whole; 1: a server owns it; 2: damaged or unreadable (the JSON line
    lists the damage, if it got that far)."""
    import json

    from .config import SimulatorConfig
    from .journal import JournalError, StateDirBusy
    from .launcher import replay_state

    if not Path(args.state_dir).is_dir():
        print(f"sandex: {args.state_dir} is not a state directory (no such directory)", file=sys.stderr, flush=True)
        return 2
    config = (
        SimulatorConfig.from_toml(args.config, state_dir=args.state_dir)
        if args.config
        else SimulatorConfig(state_dir=args.state_dir)
    )
    try:
        report, _ = replay_state(config, from_start=args.from_start)
    except StateDirBusy as e:
        _refused(e)
        return 1
    except JournalError as e:
        _refused(e)
        return 2
    print(
        json.dumps(
            {
                "seq": report.seq,
                "snapshot": report.snapshot_seq,
                "replayed": report.replayed,
                "seconds": round(report.seconds, 3),
                "fingerprint": report.fingerprint,
                "damage": report.damage,
            }
        ),
        flush=True,
    )
    return 2 if report.damage else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo

        demo(orders=args.orders, seed=args.seed)
    elif args.command == "serve":
        return _serve(args)
    elif args.command == "verify":
        return _verify(args)
    else:
        handled: int = args.handler(args)  # an entry point's f(args) -> int
        return handled
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
