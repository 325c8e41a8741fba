"""``Engine.check``: the dry run ``order/test`` uses answers exactly what ``apply`` would, changing nothing."""

from __future__ import annotations

from engine import OrderRejected, PlaceOrder

from .exchange_fixtures import funded_engine, random_commands


def test_check_predicts_every_placement_of_a_random_stream_and_changes_nothing() -> None:
    e = funded_engine(20, [(100_000, 200_000)])
    checked = rejected = 0
    for c in random_commands(seed=11, n=20_000, accounts=20):
        if isinstance(c, PlaceOrder):
            before = e.fingerprint() if checked % 50 == 0 else None
            predicted = e.check(c)
            if before is not None:
                assert e.fingerprint() == before
            events = e.apply(c)
            actual = events[0].reason if isinstance(events[0], OrderRejected) else None
            assert predicted == actual, c
            checked += 1
            rejected += actual is not None
        else:
            e.apply(c)
    e.check_invariants()
    assert checked > 5_000 and 0 < rejected < checked  # both outcomes were exercised


def test_check_names_unknown_markets() -> None:
    e = funded_engine(2)
    market = e.markets()[0]
    c = PlaceOrder("NOPE", 1, 0, 0, 1, 1)
    assert e.check(c).name == "UNKNOWN_MARKET"
    price = market.price_filter.min_price or market.price_filter.tick_size
    lots = (PlaceOrder(market.symbol, 1, 0, 0, n * market.lot_size.step_size, price) for n in range(1, 10_000))
    rest = next(c for c in lots if e.check(c) is None)  # the smallest order passing every filter
    e.apply(rest)
    assert e.check(rest) is None  # the same order again is a new order (the venue refuses repeated client ids)
