"""Which liquidity a configuration asks for: the sources ``build`` starts, in one place."""

from __future__ import annotations

from ..config import SimulatorConfig
from ..venue import Venue
from ..wire import parse_units
from .journaled import DeterministicSource
from .source import LiquiditySource
from .static_book import StaticBook
from .synthetic import SyntheticMarkets, SyntheticSettings


def synthetic_settings(config: SimulatorConfig) -> dict[str, SyntheticSettings]:
    """Per market: the defaults, then ``[synthetic.default]``, then ``[synthetic.SYMBOL]``."""
    base = config.synthetic.get("default", {})
    return {
        m.symbol: SyntheticSettings(**{**base, **config.synthetic.get(m.symbol, {})})
        for m in config.markets
        if m.reference_price
    }


def mirror_source(spec: str, venue: Venue) -> tuple[str, LiquiditySource]:
    """``binance:BTC/USDT`` -> (the local market id, a mirror of that exchange's public book)."""
    import ccxt  # only a mirror needs it at run time

    from .ccxt_feeds import CcxtPollingFeed
    from .mirror import LiveMirror

    exchange_id, _, symbol = spec.partition(":")
    if exchange_id not in ccxt.exchanges:
        raise ValueError(f"mirror: {exchange_id!r} is not a ccxt exchange id")
    market_id = symbol.replace("/", "")
    if market_id not in venue.markets:
        raise ValueError(f"mirror: {symbol!r} has no local market {market_id!r}; markets: {list(venue.markets)}")
    feed = CcxtPollingFeed(getattr(ccxt, exchange_id)({"enableRateLimit": True}), symbol, 1000)
    return market_id, LiveMirror(market_id, feed)


def replay_start_ms(config: SimulatorConfig) -> int:
    """The time of the first row replayed: where a replay's simulated clock starts."""
    from . import datafiles as df

    path = config.replay
    kind = df.detect_kind(path)
    chunks = df.chunks_between(path, kind, start=config.replay_from or None, end=config.replay_until or None)
    first = next(iter(chunks), None)
    if first is None:
        raise ValueError(f"{path}: no rows to replay{' in the window asked' if config.replay_from else ''}")
    return int(first.data[0, df.A_TIME if kind == df.AGG_TRADES else df.K_OPEN_TIME])


def replay_symbol(config: SimulatorConfig) -> str:
    return config.replay_symbol or config.markets[0].symbol


def liquidity_sources(
    config: SimulatorConfig, venue: Venue
) -> tuple[dict[str, DeterministicSource], list[LiquiditySource]]:
    """(the journaled sources by name, the others): the replay and the mirror (if asked) for their
    markets, the configured mode for the rest."""
    if not config.liquidity:
        return {}, []
    others: list[LiquiditySource] = []
    taken: set[str] = set()
    if config.replay:
        from .replay import HistoricalReplay

        symbol = replay_symbol(config)
        others.append(
            HistoricalReplay.from_file(
                config.replay, symbol, venue, start=config.replay_from or None, end=config.replay_until or None
            )
        )
        taken.add(symbol)
    if config.mirror:
        market_id, mirror = mirror_source(config.mirror, venue)
        others.append(mirror)
        taken.add(market_id)
    if config.liquidity_mode == "static":
        return {"static": StaticBook(config.book_levels, config.seed, exclude=taken)}, others
    settings = {s: v for s, v in synthetic_settings(config).items() if s not in taken}
    # markets started anew on a saved state go on from their last trade, not from the configured price
    prices = {
        m.symbol: venue.last_price(m.symbol)
        or parse_units(m.reference_price, venue.markets[m.symbol].spec.quote.decimals, f"{m.symbol}.reference_price")
        for m in config.markets
        if m.symbol in settings
    }
    return ({"synthetic": SyntheticMarkets(settings, config.seed, prices)} if settings else {}), others
