"""Settings from TOML, the environment and the command line; unknown keys are errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import build_parser
from simulator.config import DEFAULT_MARKETS, SimulatorConfig
from simulator.launcher import build

ROOT = Path(__file__).resolve().parents[2]


def test_a_toml_file_sets_fields_markets_and_rate_limits(tmp_path: Path) -> None:
    path = tmp_path / "sandex.toml"
    path.write_text(
        "port = 9000\nseed = 7\nliquidity = false\n"
        '[demo_balances]\nUSDT = "5"\n'
        "[rate_limits]\norders_per_10s = 3\n"
        '[[markets]]\nsymbol = "XRPUSDT"\nbase = "XRP"\nquote = "USDT"\ntick_size = "0.0001"\n'
        'step_size = "0.1"\nmin_qty = "0.1"\nmax_qty = "900000"\nmarket_max_qty = "100000"\n'
        'min_notional = "5"\nmax_price = "10000"\n'
    )
    config = SimulatorConfig.from_toml(path, host="0.0.0.0")
    assert (config.port, config.seed, config.liquidity, config.host) == (9000, 7, False, "0.0.0.0")
    assert config.rate_limits.orders_per_10s == 3 and config.demo_balances == {"USDT": "5"}
    sim = build(config)
    assert list(sim.venue.markets) == ["XRPUSDT"]
    assert sim.venue.balances(sim.demo_account)[0]["USDT"].free == 5 * 10**8


@pytest.mark.parametrize(
    "text, where",
    [
        ("prot = 1\n", "config"),
        ("[rate_limits]\norders_per_minute = 3\n", "rate_limits"),
        ('[[markets]]\nsymbol = "A"\nticksize = "1"\n', "markets[0]"),
    ],
)
def test_unknown_keys_are_refused_with_where_and_what_is_allowed(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"{where.replace('[', '.').replace(']', '.')}: unknown keys"):
        SimulatorConfig.from_toml(path)


def test_secrets_come_from_the_environment_or_are_made_fresh(monkeypatch) -> None:
    monkeypatch.setenv("SANDEX_ADMIN_TOKEN", "tok")
    monkeypatch.setenv("SANDEX_DEMO_API_KEY", "key")
    monkeypatch.setenv("SANDEX_DEMO_API_SECRET", "sec")
    c = SimulatorConfig().with_secrets()
    assert (c.admin_token, c.demo_api_key, c.demo_api_secret) == ("tok", "key", "sec")
    monkeypatch.delenv("SANDEX_ADMIN_TOKEN")
    a, b = SimulatorConfig().with_secrets(), SimulatorConfig().with_secrets()
    assert a.admin_token and a.admin_token != b.admin_token


def test_defaults_are_the_five_documented_markets() -> None:
    assert [m.symbol for m in SimulatorConfig().markets] == ["BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT", "SOLUSDT"]
    assert SimulatorConfig().markets == DEFAULT_MARKETS
    with pytest.raises(ValueError, match="listed twice"):
        SimulatorConfig(markets=DEFAULT_MARKETS[:1] * 2)


@pytest.mark.slow
def test_serve_options_parse_and_every_help_works() -> None:
    args = build_parser().parse_args(["serve", "--port", "1234", "--seed", "3", "--no-liquidity"])
    assert (args.port, args.seed, args.no_liquidity, args.host) == (1234, 3, True, None)
    for argv in (["--help"], ["serve", "--help"], ["demo", "--help"]):
        done = subprocess.run(
            [sys.executable, "-m", "simulator.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 and "usage: sandex" in done.stdout
