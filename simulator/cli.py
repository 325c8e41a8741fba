"""The ``sandex`` command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandex", description="A sandboxed crypto exchange you can run anywhere.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="tour the matching engine and measure it on a random order flow")
    demo.add_argument("--orders", type=int, default=200_000, help="random commands for the throughput run")
    demo.add_argument("--seed", type=int, default=1, help="seed of the random order flow")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo

        demo(orders=args.orders, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
