"""Which sources a configuration starts: modes, per-market synthetic settings, replay and mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.clock import ManualClock, ScaledClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.liquidity.journaled import JournaledLiquidity
from simulator.liquidity.mirror import LiveMirror
from simulator.liquidity.replay import HistoricalReplay
from simulator.liquidity.setup import liquidity_sources, synthetic_settings
from simulator.liquidity.static_book import StaticBook
from simulator.liquidity.synthetic import SyntheticMarkets
from simulator.margin import MarginKeeper

SAMPLE = (
    Path(__file__).resolve().parents[2] / "simulator" / "liquidity" / "samples" / "BTCUSDT-aggTrades-2024-01-15.zip"
)


def kinds(sim) -> list[type]:
    """The sources running: the journaled ones (synthetic, static) among the others, in order."""
    found = []
    for s in sim.liquidity.sources:
        if isinstance(s, JournaledLiquidity):
            found += [type(j) for j in s.sources.values()]
        elif not isinstance(s, MarginKeeper):
            found.append(type(s))
    return found


def synthetic(sim) -> SyntheticMarkets:
    return sim.app.services.sources.sources["synthetic"]


def test_the_default_is_synthetic_markets_for_every_market_with_a_reference_price() -> None:
    sim = build(SimulatorConfig(), clock=ManualClock())
    assert kinds(sim) == [SyntheticMarkets]
    assert synthetic(sim).symbols == ["BNBUSDT", "BTCUSDT", "ETHBTC", "ETHUSDT", "SOLUSDT"]
    assert all(sim.venue.depth(s, 1)[1] and sim.venue.depth(s, 1)[2] for s in sim.venue.markets)  # quoted


def test_static_and_none() -> None:
    assert kinds(build(SimulatorConfig(liquidity_mode="static"), clock=ManualClock())) == [StaticBook]
    assert kinds(build(SimulatorConfig(liquidity=False), clock=ManualClock())) == []


def test_synthetic_settings_layer_default_then_market() -> None:
    config = SimulatorConfig(synthetic={"default": {"levels": 4, "spread_bps": 10}, "BTCUSDT": {"levels": 7}})
    settings = synthetic_settings(config)
    assert (settings["BTCUSDT"].levels, settings["BTCUSDT"].spread_bps) == (7, 10)
    assert (settings["ETHUSDT"].levels, settings["ETHUSDT"].spread_bps) == (4, 10)


@pytest.mark.parametrize(
    "synthetic, match",
    [
        ({"NOPE": {}}, "not markets"),
        ({"default": {"levls": 3}}, "levls"),
        ({"BTCUSDT": {"volatility": "-1"}}, "volatility"),
    ],
)
def test_bad_synthetic_settings_are_refused_by_name(synthetic, match) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        synthetic_settings(SimulatorConfig(synthetic=synthetic))


def test_a_replay_takes_its_market_and_starts_the_clock_at_its_first_row() -> None:
    sim = build(SimulatorConfig(replay=str(SAMPLE)))
    assert isinstance(sim.venue.clock, ScaledClock)
    assert sim.venue.now() // 86_400_000 == 1705276800000 // 86_400_000  # 2024-01-15
    assert kinds(sim) == [HistoricalReplay, SyntheticMarkets]
    assert "BTCUSDT" not in synthetic(sim).symbols  # the replay trades BTCUSDT alone


def test_a_mirror_takes_its_market_without_touching_the_network() -> None:
    venue = build(SimulatorConfig(liquidity=False), clock=ManualClock()).venue
    config = SimulatorConfig(mirror="binance:BTC/USDT", liquidity_mode="static")
    journaled, others = liquidity_sources(config, venue)
    assert [type(s) for s in others] == [LiveMirror]
    assert [type(s) for s in journaled.values()] == [StaticBook]
    assert journaled["static"].exclude == {"BTCUSDT"}
    with pytest.raises(ValueError, match="not a ccxt exchange"):
        liquidity_sources(SimulatorConfig(mirror="nowhere:BTC/USDT"), venue)
    with pytest.raises(ValueError, match="no local market"):
        liquidity_sources(SimulatorConfig(mirror="binance:DOGE/USDT"), venue)
