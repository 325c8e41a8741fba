"""Synthetic markets: makers, takers and a reference price, trading through the venue like anyone."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import MarketStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from simulator.clock import ManualClock
from simulator.config import DEFAULT_MARKETS, SimulatorConfig
from simulator.launcher import build
from simulator.liquidity.synthetic import MAX_CATCHUP_MS, SyntheticMarkets, SyntheticSettings
from simulator.orders import OrderRequest
from simulator.wire import parse_units

SYMBOLS = ("BNBUSDT", "BTCUSDT", "ETHBTC", "ETHUSDT", "SOLUSDT")
# a calm market (no price moves, no quote renewals) with busy takers: queue positions stay put
CALM = SyntheticSettings(
    volatility="0", jump_probability="0", quote_lifetime_ms=0, taker_rate="10", taker_notional="100"
)


class Sim:
    """A venue on a manual clock with synthetic markets, stepped like the liquidity driver does."""

    def __init__(
        self,
        settings: SyntheticSettings | dict[str, SyntheticSettings] | None = None,
        seed: int = 1,
        symbols: tuple[str, ...] = SYMBOLS,
        config: SimulatorConfig | None = None,
    ) -> None:
        self.clock = ManualClock()
        self.venue = build(config or SimulatorConfig(liquidity=False), clock=self.clock).venue
        per = settings if isinstance(settings, dict) else {s: settings or SyntheticSettings() for s in symbols}
        prices = {s: self._configured_price(s) for s in per}
        self.src = SyntheticMarkets(per, seed, prices)
        self.src.start(self.venue, self.clock.now_ms())

    def _configured_price(self, symbol: str) -> int:
        m = self.venue.markets[symbol]
        return parse_units(m.config.reference_price, m.spec.quote.decimals, "reference_price")

    def step(self, ms: int = 50) -> None:
        self.clock.advance(ms)
        with self.venue.lock:
            self.src.advance(self.venue, self.venue.now())

    def run(self, ms: int, step: int = 50, each=None) -> None:
        for _ in range(ms // step):
            self.step(step)
            if each is not None and each():
                return

    def user(self) -> int:
        return self.venue.create_account({a: 10**15 for a in self.venue.assets}, permissions=("SPOT",))

    def place(
        self,
        account: int,
        symbol: str,
        side: Side,
        otype: OrderType,
        qty: int,
        price: int = 0,
        stop: int = 0,
        tif: TimeInForce = TimeInForce.GTC,
    ):
        req = OrderRequest(symbol, side, otype, tif, qty, price, 0, stop, None, SelfTradePrevention.NONE, "FULL")
        with self.venue.lock:
            return self.venue.place(account, req)

    def tape(self, symbol: str) -> list[tuple]:
        h = self.venue.markets[symbol].history
        return [(t.id, t.price, t.qty, t.quote_qty, t.time, t.buyer_is_maker) for t in h.recent(len(h))]

    def lots(self, symbol: str, notional_multiple: int, price: int) -> int:
        """A quantity worth ``notional_multiple`` minimum notionals at ``price``, in whole lots."""
        spec = self.venue.markets[symbol].spec
        one = 10**spec.base.decimals
        qty = spec.notional.min_notional * notional_multiple * one // price
        return max(qty // spec.lot_size.step_size, 1) * spec.lot_size.step_size

    def assert_healthy(self, symbol: str) -> None:
        _, bids, asks = self.venue.depth(symbol, None)
        assert bids and asks, f"{symbol}: one-sided book"
        assert bids[0][0] < asks[0][0], f"{symbol}: crossed book {bids[0]} / {asks[0]}"


def _avg(fills) -> float:
    return sum(f.quote_qty for f in fills) / sum(f.qty for f in fills)


# ---- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("volatility", "-0.1", "volatility"),
        ("volatility", "abc", "volatility"),
        ("volatility", 0.02, "decimal text"),
        ("drift", "NaN", "drift"),
        ("jump_probability", "1.5", "jump_probability"),
        ("jump_size", "1", "jump_size"),
        ("step_ms", 0, "step_ms"),
        ("step_ms", True, "integer"),
        ("spread_bps", -1, "spread_bps"),
        ("levels", 0, "levels"),
        ("levels", 500, "levels"),
        ("level_step_bps", -2, "level_step_bps"),
        ("level_notional", "0", "level_notional"),
        ("makers", -1, "makers"),
        ("refresh_ms", 0, "refresh_ms"),
        ("taker_rate", "-1", "taker_rate"),
        ("taker_notional", "0", "taker_notional"),
        ("quote_lifetime_ms", -5, "quote_lifetime_ms"),
    ],
)
def test_settings_refuse_bad_values_clearly(field: str, value: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        replace(SyntheticSettings(), **{field: value})


def test_constructor_and_controls_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="positive integer"):
        SyntheticMarkets({"BTCUSDT": SyntheticSettings()}, 1, {"BTCUSDT": 0})
    with pytest.raises(ValueError, match="without settings"):
        SyntheticMarkets({}, 1, {"BTCUSDT": 1})
    sim = Sim(symbols=("ETHUSDT",))
    with pytest.raises(ValueError, match="not a synthetic market"):
        sim.src.reference("BTCUSDT")
    with pytest.raises(ValueError, match="positive integer"):
        sim.src.set_reference("ETHUSDT", -5)
    with pytest.raises(RuntimeError):
        sim.src.start(sim.venue, sim.clock.now_ms())
    sim.src.set_reference("ETHUSDT", 10**30)  # kept inside PRICE_FILTER
    assert sim.src.reference("ETHUSDT") == sim.venue.markets["ETHUSDT"].spec.price_filter.max_price
    src = Sim(symbols=()).src
    assert src.next_due() is None


def test_for_venue_covers_every_market_with_a_reference_price() -> None:
    clock = ManualClock()
    venue = build(SimulatorConfig(liquidity=False), clock=clock).venue
    src = SyntheticMarkets.for_venue(venue, seed=3)
    src.start(venue, clock.now_ms())
    for s in SYMBOLS:
        spec = venue.markets[s].spec
        expected = parse_units(venue.markets[s].config.reference_price, spec.quote.decimals, "p")
        assert src.reference(s) == expected // spec.price_filter.tick_size * spec.price_filter.tick_size
        _, bids, asks = venue.depth(s, None)
        assert len(bids) >= 10 and len(asks) >= 10  # the first ladders go up at start
    assert list(src.symbols) == list(SYMBOLS)
    assert clock.now_ms() < src.next_due() <= clock.now_ms() + 100  # a refresh period at most


def test_unknown_market_is_refused_at_start() -> None:
    sim = Sim(symbols=())
    src = SyntheticMarkets({"DOGEUSDT": SyntheticSettings()}, 1, {"DOGEUSDT": 10**7})
    with pytest.raises(ValueError, match="not listed"):
        src.start(sim.venue, sim.clock.now_ms())


# ---- the market ----------------------------------------------------------------------------------


def test_markets_trade_two_sided_never_crossed_and_conserve_money() -> None:
    sim = Sim()
    venue = sim.venue
    for i in range(600):  # 30 s
        sim.step()
        for s in SYMBOLS:
            sim.assert_healthy(s)
        if i % 100 == 0:
            venue.engine.check_invariants()
    venue.engine.check_invariants()
    assert sim.src.refusals() == 0
    for s in SYMBOLS:
        trades = sim.tape(s)
        assert len(trades) >= 20, f"{s}: only {len(trades)} trades in 30 s"
        assert {t[5] for t in trades} == {True, False}, f"{s}: takers only ever on one side"
        ref = sim.src.reference(s)
        last = trades[-1][1]
        assert abs(last - ref) <= ref * 20 // 10_000, f"{s}: last trade {last} far from reference {ref}"
        # every maker keeps its full ladder on both sides
        makers, taker = sim.src.accounts(s)
        for m in makers:
            sides = [o.side for o in venue.open_orders(m, s)]
            assert sides.count(Side.BUY) == sides.count(Side.SELL) == 10
        assert not venue.open_orders(taker, s)
    assert sim.src.next_due() is not None and sim.src.next_due() > sim.clock.now_ms()


def test_resting_user_order_fills_only_after_the_makers_ahead_of_it() -> None:
    sim = Sim(CALM, symbols=("ETHUSDT",))
    venue, s = sim.venue, "ETHUSDT"
    sim.run(1_000)
    user = sim.user()
    _, bids, _ = venue.depth(s, 1)
    price = bids[0][0]
    placed = sim.place(user, s, Side.BUY, OrderType.LIMIT, sim.lots(s, 50, price), price)
    oid = placed.order.order_id
    queue = [o for o in venue.engine.open_orders(s) if o.side == Side.BUY and o.price == price]
    assert queue[-1].order_id == oid
    ahead = {o.order_id: o.quantity for o in queue[:-1]}
    assert len(ahead) == 2  # one per maker
    start_trade = len(venue.markets[s].history)

    def user_filled() -> bool:
        return venue.order(user, s, oid, None).executed_qty > 0

    seen_ahead_while_waiting = False
    for _ in range(1_200):
        sim.step()
        if user_filled():
            break
        resting = {o.order_id for o in venue.engine.open_orders(s)}
        seen_ahead_while_waiting |= bool(resting & ahead.keys())
    else:
        pytest.fail("the user's order never filled")
    assert seen_ahead_while_waiting  # the user waited while the makers' orders were ahead
    resting = {o.order_id for o in venue.engine.open_orders(s)}
    assert not resting & ahead.keys(), "the user filled while a maker's order ahead of it still rested"
    first_user_trade = venue.my_trades(user, s, oid, None, None, None, 10)[0].trade_id
    h = venue.markets[s].history
    sold_at_price = sum(
        t.qty
        for t in h.recent(len(h) - start_trade)
        if t.id < first_user_trade and t.price == price and t.buyer_is_maker
    )
    assert sold_at_price >= sum(ahead.values()), "the makers ahead were filled, not cancelled"
    assert sim.src.refusals(s) == 0


def test_large_resting_user_order_fills_in_parts() -> None:
    sim = Sim(CALM, symbols=("BTCUSDT",))
    venue, s = sim.venue, "BTCUSDT"
    sim.run(500)
    user = sim.user()
    _, bids, _ = venue.depth(s, 1)
    price = bids[0][0]
    oid = sim.place(user, s, Side.BUY, OrderType.LIMIT, sim.lots(s, 1_500, price), price).order.order_id
    statuses = set()

    def three_fills() -> bool:
        statuses.add(venue.order(user, s, oid, None).status)
        return len(venue.my_trades(user, s, oid, None, None, None, 100)) >= 3

    sim.run(120_000, each=three_fills)
    fills = venue.my_trades(user, s, oid, None, None, None, 100)
    assert len(fills) >= 3, f"{len(fills)} fills"
    assert "PARTIALLY_FILLED" in statuses
    assert len({f.time for f in fills}) >= 2  # from different takers over time
    assert all(f.price == price and f.is_maker for f in fills)
    venue.engine.check_invariants()


def test_large_market_order_walks_the_book_and_makers_requote() -> None:
    sim = Sim(symbols=("ETHUSDT",))
    venue, s = sim.venue, "ETHUSDT"
    sim.run(2_000)
    user = sim.user()
    _, _, asks = venue.depth(s, None)
    depth_before = sum(q for _, q in asks)
    small = sim.place(user, s, Side.BUY, OrderType.MARKET, sim.lots(s, 2, asks[0][0]))
    _, _, asks = venue.depth(s, None)
    big = sim.place(user, s, Side.BUY, OrderType.MARKET, sum(q for _, q in asks[:6]))
    assert big.order.status == "FILLED" and len({f.price for f in big.fills}) == 6
    assert _avg(big.fills) > _avg(small.fills)
    _, _, asks_after = venue.depth(s, None)
    assert asks_after[0][0] > asks[5][0]  # the six best levels are gone
    sim.run(300)  # a few refreshes
    sim.assert_healthy(s)
    _, bids, asks = venue.depth(s, None)
    assert sum(q for _, q in asks) > depth_before * 0.75
    ref = sim.src.reference(s)
    assert asks[0][0] - ref <= ref * 3 // 10_000 and ref - bids[0][0] <= ref * 3 // 10_000
    makers, _ = sim.src.accounts(s)
    for m in makers:
        assert [o.side for o in venue.open_orders(m, s)].count(Side.SELL) == 10
    venue.engine.check_invariants()


@pytest.mark.slow
def test_same_seed_same_tape_other_seed_another() -> None:
    def run(seed: int) -> tuple[dict[str, list[tuple]], str]:
        sim = Sim(seed=seed)
        sim.run(20_000)
        sim.run(3_000, step=700)  # uneven steps too
        return {s: sim.tape(s) for s in SYMBOLS}, sim.venue.engine.fingerprint()

    a, b, c = run(7), run(7), run(8)
    assert all(len(a[0][s]) > 10 for s in SYMBOLS)
    assert a == b
    assert all(a[0][s] != c[0][s] for s in SYMBOLS)


def test_set_reference_moves_the_market_and_triggers_a_stop() -> None:
    sim = Sim(symbols=("ETHUSDT",))
    venue, s = sim.venue, "ETHUSDT"
    sim.run(2_000)
    ref = sim.src.reference(s)
    tick = venue.markets[s].spec.price_filter.tick_size
    user = sim.user()
    stop = ref * 102 // 100 // tick * tick
    stop_order = sim.place(user, s, Side.BUY, OrderType.STOP_LOSS, sim.lots(s, 2, ref), stop=stop).order
    sim.run(1_000)
    assert venue.order(user, s, stop_order.order_id, None).status == "NEW"
    target = ref * 103 // 100
    sim.src.set_reference(s, target)
    assert abs(sim.src.reference(s) - target) < tick
    trades_before = len(venue.markets[s].history)
    sim.run(5_000)
    after = sim.tape(s)[trades_before:]
    assert after, "no trades after the move"
    now_ref = sim.src.reference(s)
    assert abs(now_ref - target) <= target // 1_000  # the process goes on from the new price
    tail = after[-3:]
    assert all(abs(t[1] - now_ref) <= now_ref * 10 // 10_000 for t in tail), (tail, now_ref)
    rec = venue.order(user, s, stop_order.order_id, None)
    assert rec.status == "FILLED" and rec.working_time > 0
    sim.assert_healthy(s)
    venue.engine.check_invariants()
    assert sim.src.refusals(s) == 0


def test_reference_stays_inside_tight_percent_price_bounds() -> None:
    """PERCENT_PRICE_BY_SIDE of +-5 % around the average: a reference set 50 % higher is held where the
    inner quotes are still accepted, so the market goes on trading there without refusals."""
    markets = tuple(
        replace(m, percent_price_up="1.05", percent_price_down="0.95") if m.symbol == "ETHUSDT" else m
        for m in DEFAULT_MARKETS
    )
    sim = Sim(symbols=("ETHUSDT",), config=SimulatorConfig(liquidity=False, markets=markets))
    venue, s = sim.venue, "ETHUSDT"
    sim.run(3_000)
    ref = sim.src.reference(s)
    sim.src.set_reference(s, ref * 3 // 2)
    trades = len(venue.markets[s].history)

    def inside_bounds() -> None:
        sim.assert_healthy(s)
        avg = venue.engine.avg_price(s, venue.now())
        _, bids, asks = venue.depth(s, 1)
        assert avg * 95 // 100 <= bids[0][0] and asks[0][0] <= avg * 105 // 100

    sim.run(10_000, each=inside_bounds)
    now_ref = sim.src.reference(s)
    assert ref * 104 // 100 < now_ref <= ref * 105 // 100  # held near the bound of the set time
    after = sim.tape(s)[trades:]
    assert len(after) >= 5 and abs(after[-1][1] - now_ref) <= now_ref * 10 // 10_000
    assert sim.src.refusals(s) == 0, sim.src.stats(s)["refusal_reasons"]
    venue.engine.check_invariants()


def test_ten_minute_pause_is_caught_up_with_bounded_work() -> None:
    sim = Sim()
    venue = sim.venue
    sim.run(2_000)
    refs = {s: sim.src.reference(s) for s in SYMBOLS}
    trades = {s: len(venue.markets[s].history) for s in SYMBOLS}
    sim.step(600_000)  # the work done is bounded by what is asserted below, not by a wall-clock time
    for s in SYMBOLS:
        stats = sim.src.stats(s)
        assert stats["skipped_ms"] >= 590_000
        # only the last stretch was replayed: a handful of takers, not ten minutes' worth (~1,200)
        assert len(venue.markets[s].history) - trades[s] < 150
        assert sim.src.reference(s) != refs[s]  # the price still moved over the pause, in one draw
        sim.assert_healthy(s)
    sim.run(1_000)
    for s in SYMBOLS:
        ref = sim.src.reference(s)
        _, bids, asks = venue.depth(s, 1)
        assert bids[0][0] < ref < asks[0][0]
    venue.engine.check_invariants()
    assert sim.src.refusals() == 0


def test_quote_update_rate_and_cost_with_the_defaults() -> None:
    sim = Sim()
    seconds = 30
    t0 = time.perf_counter()
    sim.run(seconds * 1_000)
    cpu = time.perf_counter() - t0
    rates = {s: sim.src.quote_updates(s) / seconds for s in SYMBOLS}
    print(
        f"\nquote updates/s per market: { {s: round(r) for s, r in rates.items()} }; "
        f"CPU {cpu / seconds * 1000:.1f} ms per simulated second for {len(SYMBOLS)} markets"
    )
    assert sim.src.quote_updates() == sum(sim.src.quote_updates(s) for s in SYMBOLS)
    for s, r in rates.items():
        assert 50 <= r <= 2 * 2 * 10 * 2 * 10, f"{s}: {r:.0f} quote updates/s"
    assert cpu / seconds < 0.25  # well under real time


def test_quote_updates_scale_with_the_number_of_makers() -> None:
    rates = []
    for makers in (2, 4):
        sim = Sim(SyntheticSettings(makers=makers), symbols=("BTCUSDT",))
        sim.run(20_000)
        rates.append(sim.src.quote_updates() / 20)
    assert 1.5 < rates[1] / rates[0] < 2.6, rates


def test_refused_quotes_are_counted_and_never_break_the_market() -> None:
    sim = Sim(symbols=("SOLUSDT",))
    venue, s = sim.venue, "SOLUSDT"
    sim.run(1_000)
    venue.set_market_status(s, MarketStatus.HALT)
    sim.run(2_000)  # every order refused: counted, not raised
    assert sim.src.refusals(s) > 0
    assert "MARKET_CLOSED" in sim.src.stats(s)["refusal_reasons"]
    venue.set_market_status(s, MarketStatus.TRADING)
    trades = len(venue.markets[s].history)
    sim.run(5_000)
    assert len(venue.markets[s].history) > trades
    sim.assert_healthy(s)
    venue.engine.check_invariants()


def test_users_can_still_trade_against_a_user_when_there_are_no_makers() -> None:
    sim = Sim(SyntheticSettings(makers=0, taker_rate="20"), symbols=("BNBUSDT",))
    venue, s = sim.venue, "BNBUSDT"
    user = sim.user()
    ref = sim.src.reference(s)
    tick = venue.markets[s].spec.price_filter.tick_size
    sim.place(user, s, Side.BUY, OrderType.LIMIT, sim.lots(s, 500, ref), ref // tick * tick)
    sim.place(user, s, Side.SELL, OrderType.LIMIT, sim.lots(s, 500, ref), (ref // tick + 5) * tick)
    sim.run(3_000)
    assert len(venue.markets[s].history) > 10  # takers hit the user's quotes
    assert sim.src.quote_updates() == 0
    venue.engine.check_invariants()


# ---- properties --------------------------------------------------------------------------------


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**32),
    symbol=st.sampled_from(SYMBOLS),
    volatility=st.sampled_from(["0", "0.02", "0.5", "3"]),
    jump_probability=st.sampled_from(["0", "0.01", "0.2"]),
    jump_size=st.sampled_from(["0.01", "0.1", "0.5"]),
    step_ms=st.integers(20, 1_000),
    spread_bps=st.integers(0, 50),
    levels=st.integers(1, 30),
    level_step_bps=st.integers(0, 100),
    makers=st.integers(1, 4),
    refresh_ms=st.integers(20, 1_000),
    taker_rate=st.sampled_from(["0", "1", "5", "30"]),
    taker_notional=st.sampled_from(["1", "20", "500"]),
    lifetime=st.integers(0, 5_000),
)
@pytest.mark.slow
def test_any_settings_keep_a_valid_two_sided_market(
    seed,
    symbol,
    volatility,
    jump_probability,
    jump_size,
    step_ms,
    spread_bps,
    levels,
    level_step_bps,
    makers,
    refresh_ms,
    taker_rate,
    taker_notional,
    lifetime,
) -> None:
    cfg = SyntheticSettings(
        volatility=volatility,
        jump_probability=jump_probability,
        jump_size=jump_size,
        step_ms=step_ms,
        spread_bps=spread_bps,
        levels=levels,
        level_step_bps=level_step_bps,
        makers=makers,
        refresh_ms=refresh_ms,
        taker_rate=taker_rate,
        taker_notional=taker_notional,
        quote_lifetime_ms=lifetime,
    )
    sim = Sim(cfg, seed=seed, symbols=(symbol,))
    venue = sim.venue
    spec = venue.markets[symbol].spec
    two_sided = 0
    for _ in range(80):  # 8 s
        sim.step(100)
        _, bids, asks = venue.depth(symbol, None)
        assert not (bids and asks) or bids[0][0] < asks[0][0]
        two_sided += bool(bids and asks)
        ref = sim.src.reference(symbol)
        assert ref % spec.price_filter.tick_size == 0
        assert spec.price_filter.min_price <= ref <= spec.price_filter.max_price
    # the book stays two-sided whenever the ladder outweighs what the takers send between two refreshes
    # (bigger takers may empty a side until the makers' next refresh)
    ladder = makers * levels * 200  # minimum notionals per side, at the smallest random size
    if ladder >= 20 * float(taker_notional) * max(1.0, float(taker_rate) * refresh_ms / 1000):
        assert two_sided == 80
    assert sim.src.quote_updates() > 0
    for m in sim.src.accounts(symbol)[0]:
        assert len(venue.open_orders(m, symbol)) <= 2 * levels
    for _, qty in bids + asks:
        assert qty % spec.lot_size.step_size == 0
    venue.engine.check_invariants()
    assert sim.src.refusals() == 0, sim.src.stats(symbol)["refusal_reasons"]


@pytest.mark.slow
def test_ten_busy_minutes_in_long_strides_refuse_nothing() -> None:
    """Ten minutes of five default markets in 5 s strides (replayed in full, none skipped)."""
    sim = Sim()
    sim.run(600_000, step=MAX_CATCHUP_MS)
    assert sim.src.refusals() == 0
    for s in SYMBOLS:
        sim.assert_healthy(s)
        assert sim.src.stats(s)["skipped_ms"] == 0
    sim.venue.engine.check_invariants()
