"""``examples/*.py`` and the README's client sections, run as a user runs them.

Each example runs in its own Python process from the repository root, with no BINANCE_* keys and
no SANDEX_* settings, so it falls back to placeholder keys on the embedded simulator; they run
concurrently (each starts its own simulator). With BINANCE_API_KEY/BINANCE_SECRET_KEY set, each
also runs against Binance's spot testnet. The README's quickstart must be the quickstart example
and must run; its error table must match what sandex sends and the class ccxt raises for it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import ccxt
import pytest

pytestmark = pytest.mark.slow  # each example runs as its own process


ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
EXAMPLES = [
    "quickstart",
    "balance_checked_buy",
    "monitor_order",
    "wait_for_fill",
    "positions",
    "rate_limited_loop",
    "error_handling",
]
STRATEGIES = ["ma_crossover", "market_maker"]  # strategy files: run as backtests and live in tests/backtest
TIMEOUT_S = 180
KEYS = ("BINANCE_API_KEY", "BINANCE_SECRET_KEY")

# what each prints on the embedded simulator (regular expressions, all must match)
EMBEDDED = {
    "quickstart": [
        r"USDT: \{'free': 100000\.0, 'used': 0\.0, 'total': 100000\.0\}",
        r"placed \d+ open 0\.0001 BTC at \d+",
        r"\b1 open order\(s\)",
        r"canceled: canceled",
    ],
    "balance_checked_buy": [
        r"bought: order \d+ (closed|open|canceled), [\d.]+ of 0\.000\d+ BTC",
        r"refused before sending: USDT: [\d.]+ required, [\d.]+ free",
    ],
    "monitor_order": [
        r"placed order \d+: buy 0\.000\d+ BTC at [\d.]+, waiting up to 5 s",
        r"order \d+ (filled|canceled): [\d.]+ of 0\.000\d+ BTC filled",
    ],
    "wait_for_fill": [
        r"placed order \d+: buy 0\.000\d+ BTC at [\d.]+, waiting up to 10 s for a fill",
        r"  update: open, 0\.0 of 0\.000\d+ filled",  # the stream's first word on it: accepted
        r"order \d+ (filled|canceled): [\d.]+ of 0\.000\d+ BTC filled",
    ],
    "positions": [
        r"BTC free 1\.0 ",
        r"USDT free 100000\.0 ",
        r"SOL free 100\.0 ",
        r"close BTC: sold [\d.]+ of 1\.0 at [\d.]+ on average",
    ],
    "rate_limited_loop": [
        r"round 1 BTC/USDT: 0 open order\(s\)",
        r"round 2 BNB/USDT: 0 open order\(s\)",
        r"8 calls in [\d.]+ s",
    ],
    "error_handling": [
        r"at half the market: ok",
        r"\[InsufficientFunds\]",
        r"PRICE_FILTER.*\[InvalidOrder\]",
        r"LOT_SIZE.*\[InvalidOrder\]",
        r"NOTIONAL.*\[BadRequest\]",
        r"cancel the order: ok",
        r"cancel it again: .*\[OrderNotFound\]",
        r"a wrong secret: authentication.*\[AuthenticationError\]",
        r"an unreachable server: network.*\[NetworkError\]",
    ],
}
# what each prints on any target (the account's balances and the market are someone else's there)
ANY_TARGET = {
    "quickstart": [r"placed \d+ ", r"canceled: canceled"],
    "balance_checked_buy": [r"bought: order \d+", r"refused before sending"],
    "monitor_order": [r"placed order \d+", r"order \d+ \w+: "],
    "wait_for_fill": [r"placed order \d+", r"order \d+ \w+: "],
    "positions": [r"close BTC|BTC position not closed|no free BTC"],
    "rate_limited_loop": [r"8 calls in"],
    "error_handling": [r"\[InsufficientFunds\]", r"\[AuthenticationError\]", r"\[NetworkError\]"],
}


@dataclass
class Run:
    name: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def check(self, patterns: list[str]) -> None:
        assert self.returncode == 0, f"{self.name} exited {self.returncode}\n{self.stdout}\n{self.stderr}"
        missing = [p for p in patterns if not re.search(p, self.stdout)]
        assert not missing, f"{self.name} printed no {missing}:\n{self.stdout}\n{self.stderr}"


def _env(testnet: bool = False) -> dict[str, str]:
    """This environment without BINANCE_* keys and SANDEX_* settings (so: the embedded target), or for
    the testnet run, with the keys and SANDEX_TARGET=testnet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BINANCE_", "SANDEX_"))}
    env["PYTHONPATH"] = str(ROOT)
    if testnet:
        env.update({k: os.environ[k] for k in KEYS}, SANDEX_TARGET="testnet")
    return env


def _run_all(scripts: dict[str, Path], env: dict[str, str]) -> dict[str, Run]:
    """Run the scripts at once, each in its own process, and wait for all of them."""
    started = {
        name: (
            subprocess.Popen(
                [sys.executable, str(path)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            time.monotonic(),
        )
        for name, path in scripts.items()
    }
    runs = {}
    for name, (proc, t0) in started.items():
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += f"\n(killed after {TIMEOUT_S} s)"
        runs[name] = Run(name, proc.returncode, out, err, time.monotonic() - t0)
    return runs


def _readme_block(heading_prefix: str, language: str = "python") -> str:
    text = README.read_text()
    match = re.search(rf"^{re.escape(heading_prefix)}.*$", text, re.MULTILINE)
    assert match, f"the README has no heading starting {heading_prefix!r}"
    section = text[match.end() :].split("\n## ", 1)[0]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def embedded_runs(tmp_path_factory) -> dict[str, Run]:
    readme_quickstart = tmp_path_factory.mktemp("readme") / "readme_quickstart.py"
    readme_quickstart.write_text(_readme_block("## Quickstart"))
    scripts = {name: ROOT / "examples" / f"{name}.py" for name in EXAMPLES}
    scripts["README quickstart"] = readme_quickstart
    return _run_all(scripts, _env())


def test_every_example_is_covered() -> None:
    found = sorted(p.stem for p in (ROOT / "examples").glob("*.py") if not p.stem.startswith("_"))
    assert found == sorted(EXAMPLES + STRATEGIES)


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_strategy_example_uses_only_client_and_follows_the_protocol(name: str) -> None:
    tree = ast.parse((ROOT / "examples" / f"{name}.py").read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported - {"__future__", "collections"} == {"client"}, imported
    assert ast.get_docstring(tree), "an example says what it shows"
    strategy = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Strategy")
    assert {"__init__", "on_candle"} <= {f.name for f in strategy.body if isinstance(f, ast.FunctionDef)}


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_on_the_embedded_simulator(embedded_runs, name: str) -> None:
    run = embedded_runs[name]
    run.check(EMBEDDED[name])
    assert "Traceback" not in run.stderr, run.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_on_testnet(name: str) -> None:
    if not all(os.environ.get(k) for k in KEYS):
        pytest.skip("no BINANCE_API_KEY/BINANCE_SECRET_KEY: the testnet run is skipped")
    run = _run_all({name: ROOT / "examples" / f"{name}.py"}, _env(testnet=True))[name]
    run.check(ANY_TARGET[name])


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_uses_only_client_and_ccxt_and_is_runnable(name: str) -> None:
    tree = ast.parse((ROOT / "examples" / f"{name}.py").read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    ours = {"engine", "simulator", "tests", "benchmarks", "examples"}
    assert imported & {"client"} and not imported & ours, imported
    assert not imported - {"client", "ccxt"} - set(sys.stdlib_module_names), imported
    assert ast.get_docstring(tree), "an example says what it shows"
    assert any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "main" for n in tree.body)
    assert any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body)


# ---- the README -------------------------------------------------------------------------------------


def test_readme_starts_with_the_two_commands() -> None:
    lines = README.read_text().splitlines()
    block = lines[lines.index("```bash") + 1 :]
    assert block[0].startswith("pip install -e . && sandex serve")
    assert block[1].startswith('pip install -e ".[test]" && pytest')


def test_readme_sections_come_in_order() -> None:
    headings = [line for line in README.read_text().splitlines() if line.startswith("## ")]
    order = [
        "## Quickstart",
        "## Where the calls go",
        "## Testing your code in CI",
        "## Errors",
        "## What works today",
        "## Trading against `sandex serve` with ccxt",
        "## Using the engine",
        "## Benchmarks",
        "## Layout",
    ]
    positions = [next(i for i, h in enumerate(headings) if h.startswith(o)) for o in order]
    assert positions == sorted(positions), headings


def test_readme_quickstart_runs(embedded_runs) -> None:
    embedded_runs["README quickstart"].check(EMBEDDED["quickstart"])


def test_readme_quickstart_is_the_quickstart_example() -> None:
    """The README's block, statement for statement, is examples/quickstart.py (its imports, then main's body)."""
    readme = ast.parse(_readme_block("## Quickstart")).body
    example = ast.parse((ROOT / "examples" / "quickstart.py").read_text()).body
    main = next(n for n in example if isinstance(n, ast.FunctionDef) and n.name == "main")
    body = [n for n in main.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    imports = [n for n in example if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [ast.dump(n) for n in readme] == [ast.dump(n) for n in imports + body]


def _error_rows() -> list[list[str]]:
    section = README.read_text().split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    assert rows[0][:3] == ["category", "when", "ccxt exception"]
    return rows[1:]


def test_readme_error_table_covers_the_seeds_categories() -> None:
    assert {row[0] for row in _error_rows()} == {"authentication", "trading", "rate limiting", "network"}


def test_readme_error_table_is_what_sandex_sends_and_ccxt_raises() -> None:
    from engine import RejectReason
    from simulator import binance_errors as be
    from simulator.ratelimit import RateLimitConfig

    limits, banned_until = RateLimitConfig(), 1_700_000_000_000
    sent = list(be.REFUSALS.values())
    sent += [be.for_reject(reason) for reason in RejectReason]
    sent += [
        be.weight_exceeded(limits.request_weight_per_minute, "1 MINUTE", 1),
        be.orders_exceeded(limits.orders_per_10s, "10 SECOND", 1),
        be.banned(banned_until, 1),
    ]
    known = {(e.status, e.code, e.msg) for e in sent}
    exchange = ccxt.binance()
    for _category, when, exception, status, code, msg in _error_rows():
        cls = getattr(ccxt, exception.strip("`"))
        if code == "—":  # no answer at all: a client-side NetworkError
            assert issubclass(cls, ccxt.NetworkError), when
            continue
        msg = msg.replace("<time in ms>", str(banned_until))
        assert (int(status), int(code), msg) in known, f"sandex never sends {status} {code} {msg!r}"
        body = json.dumps({"code": int(code), "msg": msg})
        with pytest.raises(ccxt.BaseError) as info:
            exchange.handle_errors(
                int(status), "", "http://127.0.0.1:8765/api/v3/order", "POST", {}, body, json.loads(body), {}, None
            )
        assert type(info.value) is cls, f"{when}: ccxt raises {type(info.value).__name__}, the README says {exception}"


def test_examples_directory_needs_no_keys_in_source() -> None:
    for path in (ROOT / "examples").glob("*.py"):
        text = path.read_text()
        if path.stem in EXAMPLES:  # (a strategy file is handed its credential by the backtest or the live loop)
            assert 'from_env("binance")' in text, f"{path.name} reads its keys from the environment"
        assert not re.search(r"[A-Za-z0-9]{40,}", text), f"{path.name} holds something like a real key"
