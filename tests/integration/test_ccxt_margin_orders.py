"""Unmodified ccxt.binance, sync and async, trading cross and isolated margin against sandex.

Every scenario runs four times: ccxt's sync and async clients, each with ``{'marginMode':'cross'}``
and ``{'marginMode':'isolated'}`` (ccxt then sends ``isIsolated=true``). Margin wallets are funded
through the desk (``sim.app.services.margin.transfer``), so nothing here depends on the transfer
endpoints. Prices come from the session's static book, read just before each trade: the book
holds still, but other tests may have eaten into its best levels, so expected fills walk it.
Loans are read from the engine, the single source of truth.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import ccxt
import pytest

from simulator.margin import CROSS_MARGIN, SPOT, MarginDesk, WalletRef
from simulator.wire import parse_units

from .conftest import new_account
from .test_ccxt_spot import BTC, Client, Sandbox, dec, fl, run_scenario, subset

D = Decimal
COIN = 10**8
WALLETS = {"cross": CROSS_MARGIN, "isolated": WalletRef("ISOLATED", "BTCUSDT")}
BALANCE = {"cross": {"type": "margin"}, "isolated": {"marginMode": "isolated"}}  # fetch_balance selectors


@pytest.fixture(params=["sync", "async"])
def flavor(request) -> str:
    return request.param


@pytest.fixture(params=["cross", "isolated"])
def mode(request) -> str:
    return request.param


@pytest.fixture()
def drive(server, flavor: str):
    """``drive(scenario)``: the scenario with ccxt's sync or async client (``test_ccxt_spot``'s runner)."""
    return lambda scenario: run_scenario(server, flavor, scenario)


# ---- helpers ------------------------------------------------------------------------------------------


def desk_of(box: Sandbox) -> MarginDesk:
    return box.server.simulator.app.services.margin


def margin_trader(box: Sandbox, mode: str, margin: str, spot: str = "0") -> Client:
    """A fresh account with ``spot`` USDT in spot and ``margin`` USDT moved into the mode's wallet."""
    total = D(spot) + D(margin)
    account = new_account(box.server, {"USDT": str(total)})
    desk_of(box).transfer(account["accountId"], "USDT", units(margin), SPOT, WALLETS[mode])
    return box.client(account)


def units(text: str | Decimal) -> int:
    return parse_units(str(text), 8, "test")


def wallet_id(box: Sandbox, c: Client, mode: str) -> int:
    found = desk_of(box).wallet_of(c.account["accountId"], WALLETS[mode])
    assert found is not None
    return found


def liability(box: Sandbox, c: Client, mode: str, asset: str) -> Decimal:
    loan = box.server.venue.engine.loan(wallet_id(box, c, mode), asset)
    return D(0) if loan is None else D(loan.liability) / COIN


def fee_of(received: Decimal) -> Decimal:
    """The engine's fee: 0.1 % of what a fill gives, rounded up to the unit."""
    return (received * D("0.001")).quantize(D("1e-8"), rounding=ROUND_CEILING)


def walk(levels: list, amount: Decimal) -> list[tuple[Decimal, Decimal]]:
    """The (price, qty) fills of a market order of ``amount`` against book levels, best first."""
    fills, left = [], amount
    for price, qty in levels:
        take = min(left, dec(qty))
        fills.append((dec(price), take))
        left -= take
        if not left:
            return fills
    raise AssertionError(f"the static book is too thin for {amount}: {levels}")


def assert_free(bal: dict, code: str, free: Decimal, used: Decimal = Decimal(0)) -> None:
    assert (bal[code]["free"], bal[code]["used"]) == (fl(free), fl(used)), bal[code]


async def book_side(c: Client, side: str) -> list:
    return (await c.fetch_order_book(BTC, 20))["asks" if side == "buy" else "bids"]


# ---- scenarios ----------------------------------------------------------------------------------------


def test_limit_order_lifecycle_stays_in_its_wallet(drive, mode: str):
    """create, fetch_order, fetch_open_orders, cancel_order, fetch_orders: only through the margin
    params; the spot wallet's order and the margin order never see each other."""

    async def scenario(box: Sandbox):
        p = {"marginMode": mode}
        c = margin_trader(box, mode, margin="1000", spot="100")
        spot = await c.create_order(BTC, "limit", "buy", 0.001, 80000)
        o = await c.create_order(BTC, "limit", "buy", 0.01, 80000, p)
        assert (
            subset(
                o,
                exp := {
                    "symbol": BTC,
                    "type": "limit",
                    "side": "buy",
                    "status": "open",
                    "price": 80000.0,
                    "amount": 0.01,
                    "filled": 0.0,
                    "remaining": 0.01,
                },
            )
            == exp
        )
        assert o["info"]["isIsolated"] is (mode == "isolated")
        assert_free(await c.fetch_balance(BALANCE[mode]), "USDT", D(200), D(800))
        assert_free(await c.fetch_balance(), "USDT", D(20), D(80))

        fetched = await c.fetch_order(o["id"], BTC, p)
        assert (fetched["id"], fetched["status"], fetched["amount"]) == (o["id"], "open", 0.01)
        assert [x["id"] for x in await c.fetch_open_orders(BTC, params=p)] == [o["id"]]
        assert [x["id"] for x in await c.fetch_open_orders(BTC)] == [spot["id"]]
        with pytest.raises(ccxt.OrderNotFound):
            await c.fetch_order(o["id"], BTC)  # a margin order is not the spot wallet's
        with pytest.raises(ccxt.OrderNotFound):
            await c.fetch_order(spot["id"], BTC, p)
        with pytest.raises(ccxt.OrderNotFound):
            await c.cancel_order(spot["id"], BTC, p)

        canceled = await c.cancel_order(o["id"], BTC, p)
        assert (canceled["id"], canceled["status"], canceled["filled"]) == (o["id"], "canceled", 0.0)
        with pytest.raises(ccxt.OrderNotFound):
            await c.cancel_order(o["id"], BTC, p)
        assert [(x["id"], x["status"]) for x in await c.fetch_orders(BTC, params=p)] == [(o["id"], "canceled")]
        assert [x["id"] for x in await c.fetch_canceled_orders(BTC, params=p)] == [o["id"]]
        assert_free(await c.fetch_balance(BALANCE[mode]), "USDT", D(1000))
        assert (await c.fetch_order(spot["id"], BTC))["status"] == "open"
        await c.cancel_order(spot["id"], BTC)

    drive(scenario)


def test_market_orders_fill_at_the_book_and_show_as_margin_trades(drive, mode: str):
    async def scenario(box: Sandbox):
        p = {"marginMode": mode}
        c = margin_trader(box, mode, margin="2000")
        buys = walk(await book_side(c, "buy"), D("0.01"))
        bought = await c.create_order(BTC, "market", "buy", 0.01, None, p)
        cost = sum(px * q for px, q in buys)
        btc_fee = sum(fee_of(q) for _, q in buys)
        assert (
            subset(
                bought,
                exp := {
                    "status": "closed",
                    "filled": 0.01,
                    "cost": fl(cost),
                    "fee": {"currency": "BTC", "cost": fl(btc_fee)},
                },
            )
            == exp
        )
        # sorted: ccxt orders an order's trades by id as text ("100" before "99")
        assert sorted((t["price"], t["amount"]) for t in bought["trades"]) == [(fl(px), fl(q)) for px, q in buys]

        sells = walk(await book_side(c, "sell"), D("0.005"))
        sold = await c.create_order(BTC, "market", "sell", 0.005, None, p)
        proceeds = sum(px * q for px, q in sells)
        usdt_fee = sum(fee_of(px * q) for px, q in sells)
        assert (
            subset(
                sold,
                exp := {
                    "status": "closed",
                    "filled": 0.005,
                    "cost": fl(proceeds),
                    "fee": {"currency": "USDT", "cost": fl(usdt_fee)},
                },
            )
            == exp
        )

        trades = await c.fetch_my_trades(BTC, params=p)
        assert sorted((t["order"], t["side"], t["takerOrMaker"], t["price"], t["amount"]) for t in trades) == sorted(
            [
                *((bought["id"], "buy", "taker", fl(px), fl(q)) for px, q in buys),
                *((sold["id"], "sell", "taker", fl(px), fl(q)) for px, q in sells),
            ]
        )
        assert all(t["info"]["isIsolated"] is (mode == "isolated") and "quoteQty" not in t["info"] for t in trades)
        assert await c.fetch_my_trades(BTC) == []  # the spot wallet traded nothing
        closed = await c.fetch_closed_orders(BTC, params=p)
        assert [(x["id"], x["status"]) for x in closed] == [(bought["id"], "closed"), (sold["id"], "closed")]

        bal = await c.fetch_balance(BALANCE[mode])
        assert_free(bal, "BTC", D("0.01") - btc_fee - D("0.005"))
        assert_free(bal, "USDT", D(2000) - cost + proceeds - usdt_fee)
        assert (bal["USDT"]["debt"], bal["BTC"]["debt"]) == (0.0, 0.0)

    drive(scenario)


def test_margin_buy_borrows_the_shortfall_and_the_balance_shows_the_debt(drive, mode: str):
    async def scenario(box: Sandbox):
        p = {"marginMode": mode, "sideEffectType": "MARGIN_BUY"}
        c = margin_trader(box, mode, margin="1000")
        fills = walk(await book_side(c, "buy"), D("0.02"))
        o = await c.create_order(BTC, "market", "buy", 0.02, None, p)
        cost = sum(px * q for px, q in fills)
        borrowed = cost - 1000
        assert o["status"] == "closed" and o["cost"] == fl(cost)
        assert (D(o["info"]["marginBuyBorrowAmount"]), o["info"]["marginBuyBorrowAsset"]) == (borrowed, "USDT")
        loan = box.server.venue.engine.loan(wallet_id(box, c, mode), "USDT")
        assert loan is not None and loan.principal == units(borrowed)

        bal = await c.fetch_balance(BALANCE[mode])
        assert bal["USDT"]["debt"] == fl(liability(box, c, mode, "USDT")) > fl(borrowed)  # and interest
        assert bal["debt"]["USDT"] == bal["USDT"]["debt"]
        assert_free(bal, "USDT", D(0))
        assert_free(bal, "BTC", D("0.02") - sum(fee_of(q) for _, q in fills))
        assert (await c.fetch_balance())["USDT"]["free"] == 0.0  # nothing left in, nor taken from, spot

    drive(scenario)


def test_reduce_only_repays_the_loan_from_what_the_order_receives(drive, mode: str):
    """ccxt turns ``reduceOnly`` into ``sideEffectType=AUTO_REPAY``: a short's loan shrinks by the
    base each buy receives, and disappears once bought back in full."""

    async def scenario(box: Sandbox):
        p = {"marginMode": mode}
        c = margin_trader(box, mode, margin="1000")
        short = await c.create_order(BTC, "market", "sell", 0.01, None, {**p, "sideEffectType": "MARGIN_BUY"})
        assert (short["info"]["marginBuyBorrowAmount"], short["info"]["marginBuyBorrowAsset"]) == ("0.01000000", "BTC")
        owed = liability(box, c, mode, "BTC")
        assert owed > D("0.01")  # the first hour's interest

        part = await c.create_order(BTC, "market", "buy", 0.005, None, {**p, "reduceOnly": True})
        received = D("0.005") - dec(part["fee"]["cost"])
        last = desk_of(box).loans[-1]
        assert (last.kind, last.asset, D(last.amount) / COIN) == ("REPAY", "BTC", received)
        bal = await c.fetch_balance(BALANCE[mode])
        assert bal["BTC"]["debt"] == fl(liability(box, c, mode, "BTC"))
        assert_free(bal, "BTC", D(0))

        left = liability(box, c, mode, "BTC")
        rest = await c.create_order(BTC, "market", "buy", 0.006, None, {**p, "reduceOnly": True})
        received2 = D("0.006") - dec(rest["fee"]["cost"])
        assert box.server.venue.engine.loan(wallet_id(box, c, mode), "BTC") is None
        bal = await c.fetch_balance(BALANCE[mode])
        assert bal["BTC"]["debt"] == 0.0
        assert_free(bal, "BTC", received2 - left)

    drive(scenario)


def test_cancel_all_orders_cancels_only_the_wallets_orders(drive, mode: str):
    async def scenario(box: Sandbox):
        p = {"marginMode": mode}
        c = margin_trader(box, mode, margin="2000", spot="100")
        spot = await c.create_order(BTC, "limit", "buy", 0.001, 80000)
        a = await c.create_order(BTC, "limit", "buy", 0.01, 80000, p)
        b = await c.create_order(BTC, "limit", "buy", 0.01, 79000, p)
        canceled = await c.cancel_all_orders(BTC, p)
        assert sorted((x["id"], x["status"]) for x in canceled) == sorted(
            [(a["id"], "canceled"), (b["id"], "canceled")]
        )
        assert await c.fetch_open_orders(BTC, params=p) == []
        assert [x["id"] for x in await c.fetch_open_orders(BTC)] == [spot["id"]]
        with pytest.raises(ccxt.OrderNotFound):
            await c.cancel_all_orders(BTC, p)  # nothing left: Binance's -2011
        assert_free(await c.fetch_balance(BALANCE[mode]), "USDT", D(2000))
        await c.cancel_order(spot["id"], BTC)

    drive(scenario)


def test_without_a_margin_wallet_there_is_nothing_to_see(drive, mode: str):
    async def scenario(box: Sandbox):
        p = {"marginMode": mode}
        c = box.trader({"USDT": "1000"})
        spot = await c.create_order(BTC, "limit", "buy", 0.001, 80000)
        assert await c.fetch_open_orders(BTC, params=p) == []
        assert await c.fetch_orders(BTC, params=p) == []
        assert await c.fetch_my_trades(BTC, params=p) == []
        with pytest.raises(ccxt.OrderNotFound):
            await c.fetch_order(spot["id"], BTC, p)
        with pytest.raises(ccxt.OrderNotFound):
            await c.cancel_order(spot["id"], BTC, p)
        with pytest.raises(ccxt.InsufficientFunds):  # -2010: an unopened wallet holds nothing
            await c.create_order(BTC, "limit", "buy", 0.001, 80000, p)
        assert desk_of(box).wallet_of(c.account["accountId"], WALLETS[mode]) is None
        await c.cancel_order(spot["id"], BTC)

    drive(scenario)
