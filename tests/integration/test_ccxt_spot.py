"""Unmodified ccxt.binance, sync and async with default options, trading spot against sandex.

Every scenario is written once as a coroutine over ``Client`` (a ccxt exchange whose methods are
all awaited the same way) and runs twice: with ``ccxt.binance`` and with
``ccxt.async_support.binance``. Each scenario opens its own funded accounts.

The session's server is shared with other tests, so no scenario assumes a particular book or
price history: it reads the book first and mostly trades between its own accounts strictly
inside the market maker's spread, where nobody else's order can be touched; market data is
checked against the whole public tape. Expected values are computed with ``Decimal`` from the
prices and amounts the scenario chose and compared with ccxt's unified floats (the nearest float
to the same decimal text, so ``==`` is exact) and with the decimal strings of the raw responses
(``info``). Other tests trade on the same server but never at the same time as a scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import time
import urllib.request
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

import ccxt
import pytest

from simulator.launcher import RunningServer

from .conftest import admin, binance, binance_async, new_account

D = Decimal
BTC = "BTC/USDT"
ETH = "ETH/USDT"
SYMBOLS = ["BNB/USDT", "BTC/USDT", "ETH/BTC", "ETH/USDT", "SOL/USDT"]
STEP = D("0.00001")  # BTC/USDT quantity step
RATE = D("0.001")  # maker and taker commission
QTY = D("0.001")  # the usual order size here: 0.001 BTC ~ 90 USDT, above the 5 USDT minimum notional
DAY_MS = 86_400_000
WEIGHT_BUDGET = 4500  # start no scenario when the IP already used more of its 6000 per minute


# ---- numbers ----------------------------------------------------------------------------------------


def fl(x: Decimal | str | int) -> float:
    """The float ccxt parses from this decimal's text: compare ccxt's numbers with ``==``."""
    return float(D(x))


def dec(x: float) -> Decimal:
    """A ccxt float (parsed from Binance's decimal text) back to that exact decimal."""
    return D(repr(x))


def fee_of(amount: Decimal) -> Decimal:
    """0.1% of ``amount``; the scenarios choose amounts where this is exact at 8 decimals."""
    fee = amount * RATE
    assert fee == fee.quantize(D("1e-8")), f"fee {fee} of {amount} is not a whole number of units"
    return fee


def lots(budget: Decimal, price: Decimal, step: Decimal = STEP) -> Decimal:
    """Whole steps of base that ``budget`` quote buys at ``price`` (quoteOrderQty's rule)."""
    return (budget / price).quantize(step, rounding=ROUND_DOWN)


def subset(actual: dict, expected: dict) -> dict:
    """The entries of ``actual`` named in ``expected`` (``assert subset(a, e) == e`` diffs nicely)."""
    return {k: actual.get(k, "<missing>") for k in expected}


# ---- clients ----------------------------------------------------------------------------------------


class Client:
    """One account's ccxt.binance (sync or async) whose every method is awaited the same way:
    ``await c.fetch_ticker(s)``.

    Calls go to ``exchange``, except ``fetch_*`` reads, which each go through a fresh twin (same
    keys, same markets): ccxt's client-side throttle waits after every call for that call's rated
    cost (the async one never refills while idle), which would serialize the scenarios for nothing.
    """

    def __init__(self, box: Sandbox, exchange, account: dict | None = None) -> None:
        self.box = box
        self.exchange = exchange
        self.account = account

    def __getattr__(self, name: str):
        attr = getattr(self.exchange, name)
        if not callable(attr):
            return attr

        async def call(*args, **kwargs):
            if not name.startswith("fetch_") or self.exchange.markets is None:
                return await _settled(attr(*args, **kwargs))
            twin = self.box.exchange(self.account)
            twin.set_markets_from_exchange(self.exchange)
            self.box.twins.append(twin)
            return await _settled(getattr(twin, name)(*args, **kwargs))

        return call


async def _settled(result):
    return await result if inspect.isawaitable(result) else result


_loaded: dict[str, ccxt.binance] = {}


def loaded_markets(server: RunningServer) -> ccxt.binance:
    """One keyed client that ran the full default ``load_markets``; others share its markets.

    ``load_markets`` itself is tested below; every other scenario takes the markets with ccxt's own
    ``set_markets_from_exchange`` so that the session's request weight goes to what it tests.
    """
    if server.url not in _loaded:
        acct = new_account(server, {"USDT": "1"})
        ex = binance(server.url, acct["apiKey"], acct["secret"])
        ex.load_markets()
        _loaded[server.url] = ex
    return _loaded[server.url]


class Sandbox:
    """The accounts and ccxt clients of one scenario, in one flavour; ``close`` tidies up."""

    def __init__(self, server: RunningServer, flavor: str) -> None:
        self.server = server
        self.flavor = flavor
        self.clients: list[Client] = []
        self.twins: list = []  # the fresh instances reads went through

    def exchange(self, account: dict | None = None):
        make = binance if self.flavor == "sync" else binance_async
        return make(self.server.url, account["apiKey"], account["secret"]) if account else make(self.server.url)

    def client(self, account: dict | None = None, markets: bool = True) -> Client:
        """A new ccxt instance (its own throttle) for ``account`` (None: public), markets shared."""
        ex = self.exchange(account)
        if markets:
            ex.set_markets_from_exchange(loaded_markets(self.server))
        c = Client(self, ex, account)
        self.clients.append(c)
        return c

    def trader(self, balances: dict[str, str] | None = None) -> Client:
        """A fresh funded account and a client for it."""
        return self.client(new_account(self.server, balances or {"USDT": "10000", "BTC": "1"}))

    async def close(self) -> None:
        """Cancel what the scenario's accounts left open (so no later test meets it), close sessions."""
        try:
            for c in self.clients:
                if c.account is None or not _has_locked(self.server, c.account):
                    continue
                for symbol in SYMBOLS:
                    with contextlib.suppress(ccxt.OrderNotFound):
                        await c.private_delete_openorders({"symbol": symbol.replace("/", "")})
        finally:
            if self.flavor == "async":  # each close() lingers 250 ms (ccxt's timeout_on_exit): all at once
                await asyncio.gather(*(ex.close() for ex in [c.exchange for c in self.clients] + self.twins))


def _has_locked(server: RunningServer, account: dict) -> bool:
    shown = admin(server, "GET", f"/sandex/v1/accounts/{account['accountId']}")
    return any(D(b["locked"]) for b in shown["balances"]["spot"].values())


def _used_weight(server: RunningServer) -> int:
    with urllib.request.urlopen(server.url + "/api/v3/ping", timeout=10) as resp:
        return int(resp.headers["X-MBX-USED-WEIGHT-1M"])


def _respect_weight_budget(server: RunningServer) -> None:
    """When the server enforces Binance's limits, the whole session shares one IP's 6000 weight per
    minute: wait for a new minute if it is nearly spent (a 429 would fail this test, a 418 ban every
    later one). The suite's shared server has them off; then this costs nothing."""
    if server.simulator.config.rate_limits.enabled and _used_weight(server) > WEIGHT_BUDGET:
        now = server.venue.now()
        time.sleep((60_000 - now % 60_000) / 1000 + 0.05)


@pytest.fixture(params=["sync", "async"])
def flavor(request) -> str:
    return request.param


def run_scenario(server: RunningServer, flavor: str, scenario) -> None:
    """Run ``async def scenario(box: Sandbox)`` with ccxt's sync or async client."""
    _respect_weight_budget(server)

    async def main() -> None:
        box = Sandbox(server, flavor)
        try:
            await scenario(box)
        finally:
            await box.close()

    asyncio.run(main())


@pytest.fixture()
def drive(server: RunningServer, flavor: str):
    """``drive(scenario)``: the scenario in the parametrized flavour."""
    return lambda scenario: run_scenario(server, flavor, scenario)


# ---- market helpers ---------------------------------------------------------------------------------


async def inside_spread(c: Client, symbol: str = BTC, room: Decimal = Decimal(25)) -> Decimal:
    """A whole price in the middle of the current spread, with more than ``room`` of free prices
    on either side, so the scenario's own orders there meet only each other."""
    ob = await c.fetch_order_book(symbol, 5)
    assert ob["bids"] and ob["asks"], f"{symbol}: the market maker's book is gone: {ob}"
    bid, ask = dec(ob["bids"][0][0]), dec(ob["asks"][0][0])
    mid = ((bid + ask) / 2).quantize(D(1), rounding=ROUND_DOWN)  # whole: every fee below is exact
    assert bid + room < mid < ask - room, f"{symbol}: spread {bid}..{ask} too narrow for this test"
    return mid


async def trade_between(
    seller: Client, buyer: Client, price: Decimal, amount: Decimal = QTY, symbol: str = BTC
) -> tuple[dict, dict]:
    """``seller`` rests a limit sell, ``buyer`` takes it with a limit buy at the same price."""
    maker = await seller.create_order(symbol, "limit", "sell", fl(amount), fl(price))
    assert maker["status"] == "open", maker
    taker = await buyer.create_order(symbol, "limit", "buy", fl(amount), fl(price))
    assert taker["status"] == "closed" and taker["filled"] == fl(amount), taker
    return maker, taker


def assert_balance(bal: dict, code: str, free: Decimal | str, used: Decimal | str = Decimal(0)) -> None:
    """One asset of a ccxt balance: the unified numbers and the account row they came from."""
    free, used = D(free), D(used)
    expected = {"free": fl(free), "used": fl(used), "total": fl(free + used)}
    assert bal[code] == expected, f"{code}: {bal[code]} != {expected}"
    assert (bal["free"][code], bal["used"][code], bal["total"][code]) == (fl(free), fl(used), fl(free + used))
    row = next(r for r in bal["info"]["balances"] if r["asset"] == code)
    assert (D(row["free"]), D(row["locked"])) == (free, used), row


async def public_tape(box: Sandbox, symbol: str = BTC) -> list[dict]:
    """Every public trade of ``symbol`` so far, oldest first: aggregate trades paged by id."""
    rows: list[dict] = []
    while True:
        page = await box.client().fetch_trades(symbol, limit=1000, params={"fromId": len(rows) + 1})
        rows += sorted(page, key=lambda r: int(r["id"]))  # ccxt sorts same-millisecond trades by id as text
        if len(page) < 1000:
            assert [int(r["id"]) for r in rows] == list(range(1, len(rows) + 1))
            return rows


async def my_trades_of(c: Client, order: dict, symbol: str = BTC) -> list[dict]:
    trades = await c.fetch_my_trades(symbol)
    return [t for t in trades if t["order"] == order["id"]]


# =====================================================================================================
# markets
# =====================================================================================================

# (id, base, quote, tick, step, min qty, max qty, market max qty, min notional, max notional, max price)
MARKETS = [
    ("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "0.00001", "9000", "100", "5", "9000000", "1000000"),
    ("ETHUSDT", "ETH", "USDT", "0.01", "0.0001", "0.0001", "9000", "1000", "5", "9000000", "1000000"),
    ("ETHBTC", "ETH", "BTC", "0.00001", "0.001", "0.001", "100000", "1000", "0.0001", "9000", "1000"),
    ("BNBUSDT", "BNB", "USDT", "0.01", "0.001", "0.001", "9000", "1000", "5", "9000000", "1000000"),
    ("SOLUSDT", "SOL", "USDT", "0.01", "0.001", "0.001", "9000", "5000", "5", "9000000", "1000000"),
]


def expected_market(row: tuple) -> dict:
    mid, base, quote, tick, step, min_q, max_q, mkt_max, min_n, max_n, max_p = row
    return {
        "id": mid,
        "symbol": f"{base}/{quote}",
        "base": base,
        "quote": quote,
        "baseId": base,
        "quoteId": quote,
        "settle": None,
        "type": "spot",
        "spot": True,
        "margin": True,
        "swap": False,
        "future": False,
        "option": False,
        "contract": False,
        "active": True,
        "linear": None,
        "inverse": None,
        "taker": 0.001,
        "maker": 0.001,
        "precision": {"amount": fl(step), "price": fl(tick), "base": 1e-08, "quote": 1e-08},
        "limits": {
            "leverage": {"min": None, "max": None},
            "amount": {"min": fl(min_q), "max": fl(max_q)},
            "price": {"min": fl(tick), "max": fl(max_p)},
            "cost": {"min": fl(min_n), "max": fl(max_n)},
            "market": {"min": 0.0, "max": fl(mkt_max)},
        },
        "marginModes": {"cross": True, "isolated": True},
    }


def test_load_markets(drive):
    """The full default ``load_markets`` (7 requests with keys, 3 without) and ``fetch_markets``."""

    async def scenario(box: Sandbox):
        keyed = box.client(new_account(box.server, {"USDT": "5"}), markets=False)
        markets = await keyed.load_markets()
        assert sorted(markets) == SYMBOLS
        assert keyed.symbols == SYMBOLS
        for row in MARKETS:
            exp = expected_market(row)
            m = markets[exp["symbol"]]
            assert subset(m, exp) == exp
            info = m["info"]
            assert info["status"] == "TRADING" and info["isMarginTradingAllowed"] is True
            assert {"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"} <= set(info["orderTypes"])
            assert keyed.markets_by_id[row[0]][0]["symbol"] == exp["symbol"]
        # currencies come from capital/config/getall: every listed asset, the account's own balance in info
        assert sorted(set(keyed.currencies) - {"BNFCR"}) == ["BNB", "BTC", "ETH", "SOL", "USDT"]  # ccxt adds BNFCR
        assert keyed.currencies["USDT"]["info"]["free"] == "5.00000000"
        assert (await keyed.currency("BTC"))["id"] == "BTC"

        listed = await keyed.fetch_markets()
        assert sorted(m["symbol"] for m in listed) == SYMBOLS  # no futures: their exchangeInfo is empty
        by_symbol = {m["symbol"]: m for m in listed}
        for row in MARKETS:
            exp = expected_market(row)
            assert subset(by_symbol[exp["symbol"]], exp) == exp

        public = box.client(markets=False)
        assert sorted(await public.load_markets()) == SYMBOLS
        assert public.markets[BTC]["precision"] == markets[BTC]["precision"]
        assert public.markets[BTC]["limits"] == markets[BTC]["limits"]

    drive(scenario)


# =====================================================================================================
# balances
# =====================================================================================================


def test_fetch_balance_reflects_locks_exactly(drive):
    async def scenario(box: Sandbox):
        a = box.trader({"USDT": "10000", "BTC": "0.5"})
        bal = await a.fetch_balance()
        assert_balance(bal, "USDT", "10000")
        assert_balance(bal, "BTC", "0.5")
        for code in ("ETH", "BNB", "SOL"):  # listed assets without funds are there, at zero
            assert_balance(bal, code, "0")
        assert bal["timestamp"] == bal["info"]["updateTime"]
        assert bal["info"]["accountType"] == "SPOT" and bal["info"]["canTrade"] is True

        mid = await inside_spread(a)
        buy_px, sell_px = mid - 10_000, mid + 10_000  # far from the touch: both rest
        buy = await a.create_order(BTC, "limit", "buy", 0.001, fl(buy_px))
        sell = await a.create_order(BTC, "limit", "sell", 0.002, fl(sell_px))
        buy2 = await a.create_order(BTC, "limit", "buy", 0.00123, fl(buy_px - D("0.01")))
        locked_usdt = D("0.001") * buy_px + D("0.00123") * (buy_px - D("0.01"))
        bal = await a.fetch_balance()
        assert_balance(bal, "USDT", D(10000) - locked_usdt, locked_usdt)
        assert_balance(bal, "BTC", D("0.498"), D("0.002"))

        await a.cancel_order(buy["id"], BTC)
        bal = await a.fetch_balance()
        rest = D("0.00123") * (buy_px - D("0.01"))
        assert_balance(bal, "USDT", D(10000) - rest, rest)
        await a.cancel_order(buy2["id"], BTC)
        await a.cancel_order(sell["id"], BTC)
        bal = await a.fetch_balance()
        assert_balance(bal, "USDT", "10000")
        assert_balance(bal, "BTC", "0.5")

    drive(scenario)


def test_limit_order_example_locks_80_usdt(exchange, account):
    """The plain sync fixture path: a limit buy of 0.001 BTC at 80000 locks exactly 80 USDT."""
    order = exchange.create_order(BTC, "limit", "buy", 0.001, 80000)
    try:
        bal = exchange.fetch_balance()
        assert_balance(bal, "USDT", "99920", "80")
        assert_balance(bal, "BTC", "2")
    finally:
        exchange.cancel_order(order["id"], BTC)
    assert_balance(exchange.fetch_balance(), "USDT", "100000")


# =====================================================================================================
# creating orders
# =====================================================================================================


def test_limit_order_rests_then_cancel_releases(drive):
    async def scenario(box: Sandbox):
        a = box.trader()
        mid = await inside_spread(a)
        price = mid - 1000
        o = await a.create_order(BTC, "limit", "buy", 0.0015, fl(price), {"clientOrderId": "rest-1"})
        info = o["info"]
        assert (
            subset(
                o,
                exp := {
                    "id": str(info["orderId"]),
                    "clientOrderId": "rest-1",
                    "symbol": BTC,
                    "type": "limit",
                    "side": "buy",
                    "status": "open",
                    "timeInForce": "GTC",
                    "postOnly": False,
                    "price": fl(price),
                    "amount": 0.0015,
                    "filled": 0.0,
                    "remaining": 0.0015,
                    "cost": 0.0,
                    "average": None,
                    "fee": None,
                    "trades": [],
                    "triggerPrice": None,
                    "takeProfitPrice": None,
                    "stopLossPrice": None,
                    "timestamp": info["transactTime"],
                    "lastTradeTimestamp": None,
                },
            )
            == exp
        )
        assert (info["type"], info["status"], info["price"], info["origQty"]) == (
            "LIMIT",
            "NEW",
            f"{price:.8f}",
            "0.00150000",
        )
        assert_balance(await a.fetch_balance(), "USDT", D(10000) - D("0.0015") * price, D("0.0015") * price)

        c = await a.cancel_order(o["id"], BTC)
        assert (
            subset(
                c,
                exp := {
                    "id": o["id"],
                    "symbol": BTC,
                    "status": "canceled",
                    "type": "limit",
                    "side": "buy",
                    "price": fl(price),
                    "amount": 0.0015,
                    "filled": 0.0,
                    "remaining": 0.0015,
                    "cost": 0.0,
                },
            )
            == exp
        )
        assert c["info"]["origClientOrderId"] == "rest-1"  # Binance: clientOrderId is the cancel's own id
        assert_balance(await a.fetch_balance(), "USDT", "10000")
        with pytest.raises(ccxt.OrderNotFound):
            await a.cancel_order(o["id"], BTC)

    drive(scenario)


def test_market_buy_walks_the_asks(drive):
    """A market buy takes the best asks in price order: ours inside the spread, then the maker's."""

    async def scenario(box: Sandbox):
        s, t = box.trader(), box.trader()
        await inside_spread(t)  # room below the maker's best ask
        ob = await t.fetch_order_book(BTC, 5)
        maker_ask, maker_qty = dec(ob["asks"][0][0]), dec(ob["asks"][0][1])
        assert maker_qty >= QTY
        ours = maker_ask - 7
        await s.create_order(BTC, "limit", "sell", fl(QTY), fl(ours))
        o = await t.create_order(BTC, "market", "buy", 0.002)
        cost = QTY * ours + QTY * maker_ask
        fee = fee_of(D("0.002"))
        assert (
            subset(
                o,
                exp := {
                    "symbol": BTC,
                    "type": "market",
                    "side": "buy",
                    "status": "closed",
                    "amount": 0.002,
                    "filled": 0.002,
                    "remaining": 0.0,
                    "cost": fl(cost),
                    "fee": {"currency": "BTC", "cost": fl(fee)},
                    "lastTradeTimestamp": o["info"]["transactTime"],
                },
            )
            == exp
        )
        assert o["average"] == pytest.approx(fl(cost / D("0.002")), rel=1e-12)
        assert D(o["info"]["cummulativeQuoteQty"]) == cost and D(o["info"]["executedQty"]) == D("0.002")
        assert [(t_["price"], t_["amount"], t_["fee"]) for t_ in o["trades"]] == [
            (fl(ours), 0.001, {"currency": "BTC", "cost": 1e-06}),
            (fl(maker_ask), 0.001, {"currency": "BTC", "cost": 1e-06}),
        ]
        assert [t_["id"] for t_ in o["trades"]] == [str(f["tradeId"]) for f in o["info"]["fills"]]
        bal = await t.fetch_balance()
        assert_balance(bal, "USDT", D(10000) - cost)
        assert_balance(bal, "BTC", D(1) + D("0.002") - fee)
        after = await t.fetch_order_book(BTC, 5)
        assert after["asks"][0] == [fl(maker_ask), fl(maker_qty - QTY)]

    drive(scenario)


def test_market_sell_walks_the_bids(drive):
    async def scenario(box: Sandbox):
        b, t = box.trader(), box.trader()
        await inside_spread(t)  # room above the maker's best bid
        ob = await t.fetch_order_book(BTC, 5)
        maker_bid = dec(ob["bids"][0][0])
        assert dec(ob["bids"][0][1]) >= QTY
        ours = maker_bid + 3
        await b.create_order(BTC, "limit", "buy", fl(QTY), fl(ours))
        o = await t.create_market_sell_order(BTC, 0.002)
        cost = QTY * ours + QTY * maker_bid
        fee = fee_of(QTY * ours) + fee_of(QTY * maker_bid)  # in the asset received: USDT
        assert (
            subset(
                o,
                exp := {
                    "type": "market",
                    "side": "sell",
                    "status": "closed",
                    "amount": 0.002,
                    "filled": 0.002,
                    "remaining": 0.0,
                    "cost": fl(cost),
                    "fee": {"currency": "USDT", "cost": fl(fee)},
                },
            )
            == exp
        )
        assert [(t_["price"], t_["amount"]) for t_ in o["trades"]] == [(fl(ours), 0.001), (fl(maker_bid), 0.001)]
        bal = await t.fetch_balance()
        assert_balance(bal, "USDT", D(10000) + cost - fee)
        assert_balance(bal, "BTC", D(1) - D("0.002"))

    drive(scenario)


def test_market_orders_by_cost(drive):
    """quoteOrderQty: ``create_market_buy_order_with_cost``, ``create_order('market', ..., price)``
    (ccxt sends amount x price as quoteOrderQty, for buys and sells) and a sell by cost."""

    async def scenario(box: Sandbox):
        s, b, t = box.trader(), box.trader(), box.trader()
        mid = await inside_spread(t)
        ask, bid = mid + 5, mid - 5
        await s.create_order(BTC, "limit", "sell", 0.01, fl(ask))
        await b.create_order(BTC, "limit", "buy", 0.01, fl(bid))
        usdt, btc = D(10000), D(1)

        async def check(o, side, quote_qty, price):
            nonlocal usdt, btc
            qty = lots(quote_qty, price)
            cost = qty * price
            fee = fee_of(qty) if side == "buy" else fee_of(cost)
            assert (
                subset(
                    o,
                    exp := {
                        "type": "market",
                        "side": side,
                        "status": "closed",
                        "amount": fl(qty),
                        "filled": fl(qty),
                        "remaining": 0.0,
                        "cost": fl(cost),
                        "average": fl(price),
                        "fee": {"currency": "BTC" if side == "buy" else "USDT", "cost": fl(fee)},
                    },
                )
                == exp
            )
            assert D(o["info"]["origQuoteOrderQty"]) == quote_qty
            assert o["info"]["status"] == "FILLED"  # the unspendable dust does not make it EXPIRED
            if side == "buy":
                usdt, btc = usdt - cost, btc + qty - fee
            else:
                usdt, btc = usdt + cost - fee, btc - qty

        await check(await t.create_market_buy_order_with_cost(BTC, 100), "buy", D(100), ask)
        await check(await t.create_order(BTC, "market", "buy", 0.002, 45000), "buy", D(90), ask)
        await check(await t.create_order(BTC, "market", "sell", 0.001, 90000), "sell", D(90), bid)
        await check(await t.create_market_sell_order_with_cost(BTC, 77.7), "sell", D("77.7"), bid)
        bal = await t.fetch_balance()
        assert_balance(bal, "USDT", usdt)
        assert_balance(bal, "BTC", btc)

    drive(scenario)


def test_limit_buy_through_the_book_fills_at_the_makers_price(drive):
    """A crossing limit buy pays the resting price and rests with the rest: open, partly filled, the
    lock only what the remainder could still spend."""

    async def scenario(box: Sandbox):
        s, t = box.trader(), box.trader()
        mid = await inside_spread(t)
        await s.create_order(BTC, "limit", "sell", 0.002, fl(mid))
        o = await t.create_limit_buy_order(BTC, 0.003, fl(mid + 20))
        cost = D("0.002") * mid
        assert (
            subset(
                o,
                exp := {
                    "status": "open",
                    "price": fl(mid + 20),
                    "average": fl(mid),
                    "cost": fl(cost),
                    "amount": 0.003,
                    "filled": 0.002,
                    "remaining": 0.001,
                    "fee": {"currency": "BTC", "cost": fl(fee_of(D("0.002")))},
                },
            )
            == exp
        )
        assert o["info"]["status"] == "PARTIALLY_FILLED" and len(o["trades"]) == 1
        assert (await t.fetch_order_book(BTC, 1))["bids"][0] == [fl(mid + 20), 0.001]
        lock = QTY * (mid + 20)
        bal = await t.fetch_balance()
        assert_balance(bal, "USDT", D(10000) - cost - lock, lock)
        assert_balance(bal, "BTC", D(1) + D("0.002") - fee_of(D("0.002")))

    drive(scenario)


def test_order_helpers(drive):
    """create_limit_buy/sell_order and create_market_buy/sell_order."""

    async def scenario(box: Sandbox):
        s, b, t = box.trader(), box.trader(), box.trader()
        mid = await inside_spread(t)
        lb = await t.create_limit_buy_order(BTC, 0.001, fl(mid - 2000))
        ls = await t.create_limit_sell_order(BTC, 0.001, fl(mid + 2000))
        for o, side, px in ((lb, "buy", mid - 2000), (ls, "sell", mid + 2000)):
            assert (
                subset(
                    o,
                    exp := {
                        "type": "limit",
                        "side": side,
                        "status": "open",
                        "price": fl(px),
                        "amount": 0.001,
                        "remaining": 0.001,
                    },
                )
                == exp
            )
        await s.create_order(BTC, "limit", "sell", 0.001, fl(mid + 4))
        await b.create_order(BTC, "limit", "buy", 0.001, fl(mid - 4))
        mb = await t.create_market_buy_order(BTC, 0.001)
        ms = await t.create_market_sell_order(BTC, 0.001)
        for o, side, px in ((mb, "buy", mid + 4), (ms, "sell", mid - 4)):
            assert (
                subset(
                    o,
                    exp := {
                        "type": "market",
                        "side": side,
                        "status": "closed",
                        "average": fl(px),
                        "filled": 0.001,
                        "cost": fl(QTY * px),
                    },
                )
                == exp
            )
        assert mb["fee"] == {"currency": "BTC", "cost": 1e-06}
        assert ms["fee"] == {"currency": "USDT", "cost": fl(fee_of(QTY * (mid - 4)))}
        open_ids = sorted(o["id"] for o in await t.fetch_open_orders(BTC))
        assert open_ids == sorted([lb["id"], ls["id"]])

    drive(scenario)


def test_stop_loss_limit_waits_then_triggers(drive):
    """STOP_LOSS_LIMIT sell: parked off the book (funds locked) until a trade at or below the stop,
    then a resting limit that the next buyer fills."""

    async def scenario(box: Sandbox):
        a, c, d = box.trader(), box.trader(), box.trader()
        mid = await inside_spread(a)
        await trade_between(c, d, mid)  # the last price: mid
        stop, limit = mid - 5, mid - 8

        with pytest.raises(ccxt.OrderImmediatelyFillable):  # a sell stop at or above the last price
            await a.create_order(BTC, "limit", "sell", 0.002, fl(limit), {"stopPrice": fl(mid)})

        o = await a.create_order(BTC, "limit", "sell", 0.002, fl(limit), {"stopPrice": fl(stop)})
        assert (
            subset(
                o,
                exp := {
                    "type": "limit",
                    "side": "sell",
                    "status": "open",
                    "price": fl(limit),
                    "triggerPrice": fl(stop),
                    "stopPrice": fl(stop),
                    "takeProfitPrice": None,
                    "amount": 0.002,
                    "filled": 0.0,
                    "remaining": 0.002,
                },
            )
            == exp
        )
        assert (o["info"]["type"], D(o["info"]["stopPrice"])) == ("STOP_LOSS_LIMIT", stop)
        waiting = await a.fetch_order(o["id"], BTC)
        assert (
            subset(
                waiting,
                exp := {
                    "status": "open",
                    "triggerPrice": fl(stop),
                    "filled": 0.0,
                    "timestamp": o["info"]["transactTime"],
                },
            )
            == exp
        )
        assert (waiting["info"]["isWorking"], waiting["info"]["workingTime"]) == (False, -1)
        assert_balance(await a.fetch_balance(), "BTC", D("0.998"), D("0.002"))
        assert fl(limit) not in [px for px, _ in (await a.fetch_order_book(BTC, 5))["asks"]]

        await trade_between(c, d, mid - 1)  # above the stop: nothing happens
        assert (await a.fetch_order(o["id"], BTC))["info"]["isWorking"] is False
        _, trigger = await trade_between(c, d, stop)  # at the stop: that triggers it
        working = await a.fetch_order(o["id"], BTC)
        assert subset(working, exp := {"status": "open", "filled": 0.0, "remaining": 0.002}) == exp
        assert working["info"]["isWorking"] is True
        assert working["info"]["workingTime"] >= trigger["info"]["transactTime"]
        ob = await a.fetch_order_book(BTC, 5)
        assert ob["asks"][0] == [fl(limit), 0.002]  # now resting, the best ask

        take = await d.create_order(BTC, "market", "buy", 0.002)
        assert (take["average"], take["filled"]) == (fl(limit), 0.002)
        done = await a.fetch_order(o["id"], BTC)
        cost = D("0.002") * limit
        assert (
            subset(
                done,
                exp := {
                    "status": "closed",
                    "filled": 0.002,
                    "remaining": 0.0,
                    "cost": fl(cost),
                    "average": fl(limit),
                    "type": "limit",
                    "triggerPrice": fl(stop),
                },
            )
            == exp
        )
        [fill] = await my_trades_of(a, o)
        assert (
            subset(
                fill,
                exp := {
                    "side": "sell",
                    "takerOrMaker": "maker",
                    "price": fl(limit),
                    "amount": 0.002,
                    "cost": fl(cost),
                    "fee": {"currency": "USDT", "cost": fl(fee_of(cost))},
                },
            )
            == exp
        )
        bal = await a.fetch_balance()
        assert_balance(bal, "BTC", D("0.998"))
        assert_balance(bal, "USDT", D(10000) + cost - fee_of(cost))

    drive(scenario)


def test_take_profit_limit_triggers_and_takes(drive):
    """TAKE_PROFIT_LIMIT sell: triggers on a trade at or above its price, then takes the best bid."""

    async def scenario(box: Sandbox):
        a, c, d = box.trader(), box.trader(), box.trader()
        mid = await inside_spread(a)
        await trade_between(c, d, mid)
        await d.create_order(BTC, "limit", "buy", 0.002, fl(mid - 10))  # the best bid once triggered
        tp = mid + 5

        with pytest.raises(ccxt.OrderImmediatelyFillable):  # a take-profit sell at or below the last price
            await a.create_order(BTC, "limit", "sell", 0.002, fl(mid - 10), {"takeProfitPrice": fl(mid)})

        o = await a.create_order(BTC, "limit", "sell", 0.002, fl(mid - 10), {"takeProfitPrice": fl(tp)})
        assert (
            subset(
                o,
                exp := {
                    "type": "limit",
                    "side": "sell",
                    "status": "open",
                    "price": fl(mid - 10),
                    "triggerPrice": fl(tp),
                    "takeProfitPrice": fl(tp),
                    "filled": 0.0,
                },
            )
            == exp
        )
        assert o["info"]["type"] == "TAKE_PROFIT_LIMIT"
        assert_balance(await a.fetch_balance(), "BTC", D("0.998"), D("0.002"))

        await trade_between(c, d, tp - 1)  # below the take-profit price: nothing happens
        assert (await a.fetch_order(o["id"], BTC))["info"]["isWorking"] is False
        await trade_between(c, d, tp)  # at it: triggered
        done = await a.fetch_order(o["id"], BTC)
        cost = D("0.002") * (mid - 10)
        assert (
            subset(
                done,
                exp := {
                    "status": "closed",
                    "filled": 0.002,
                    "average": fl(mid - 10),
                    "cost": fl(cost),
                    "takeProfitPrice": fl(tp),
                },
            )
            == exp
        )
        assert done["info"]["isWorking"] is True
        [fill] = await my_trades_of(a, o)
        assert (
            subset(
                fill,
                exp := {
                    "side": "sell",
                    "takerOrMaker": "taker",
                    "price": fl(mid - 10),
                    "amount": 0.002,
                    "fee": {"currency": "USDT", "cost": fl(fee_of(cost))},
                },
            )
            == exp
        )
        bal = await a.fetch_balance()
        assert_balance(bal, "BTC", D("0.998"))
        assert_balance(bal, "USDT", D(10000) + cost - fee_of(cost))

    drive(scenario)


def test_post_only(drive):
    """``postOnly`` -> LIMIT_MAKER: rests when it would not trade, is refused when it would."""

    async def scenario(box: Sandbox):
        s, a = box.trader(), box.trader()
        mid = await inside_spread(a)
        await s.create_order(BTC, "limit", "sell", 0.001, fl(mid + 2))
        o = await a.create_order(BTC, "limit", "buy", 0.001, fl(mid + 1), {"postOnly": True})
        assert (
            subset(
                o,
                exp := {
                    "type": "limit",
                    "postOnly": True,
                    "status": "open",
                    "price": fl(mid + 1),
                    "timeInForce": "GTC",
                    "remaining": 0.001,
                },
            )
            == exp
        )
        assert o["info"]["type"] == "LIMIT_MAKER"
        with pytest.raises(ccxt.OrderImmediatelyFillable):
            await a.create_order(BTC, "limit", "buy", 0.001, fl(mid + 2), {"postOnly": True})
        assert_balance(await a.fetch_balance(), "USDT", D(10000) - QTY * (mid + 1), QTY * (mid + 1))
        fetched = await a.fetch_order(o["id"], BTC)
        assert (fetched["postOnly"], fetched["type"], fetched["status"]) == (True, "limit", "open")

    drive(scenario)


def test_ioc_fills_what_it_can_then_expires(drive):
    async def scenario(box: Sandbox):
        s, a = box.trader(), box.trader()
        mid = await inside_spread(a)
        await s.create_order(BTC, "limit", "sell", 0.001, fl(mid))
        o = await a.create_order(BTC, "limit", "buy", 0.003, fl(mid), {"timeInForce": "IOC"})
        assert (
            subset(
                o,
                exp := {
                    "status": "expired",
                    "timeInForce": "IOC",
                    "amount": 0.003,
                    "filled": 0.001,
                    "remaining": 0.002,
                    "cost": fl(QTY * mid),
                    "average": fl(mid),
                    "fee": {"currency": "BTC", "cost": 1e-06},
                },
            )
            == exp
        )
        assert o["info"]["status"] == "EXPIRED"
        assert (await a.fetch_order(o["id"], BTC))["status"] == "expired"
        bal = await a.fetch_balance()  # nothing stays locked
        assert_balance(bal, "USDT", D(10000) - QTY * mid)
        assert_balance(bal, "BTC", D(1) + QTY - fee_of(QTY))
        assert o["id"] not in [x["id"] for x in await a.fetch_closed_orders(BTC)]
        assert o["id"] not in [x["id"] for x in await a.fetch_canceled_orders(BTC)]

    drive(scenario)


def test_fok_is_all_or_nothing(drive):
    async def scenario(box: Sandbox):
        s, a = box.trader(), box.trader()
        mid = await inside_spread(a)
        await s.create_order(BTC, "limit", "sell", 0.001, fl(mid))
        miss = await a.create_order(BTC, "limit", "buy", 0.002, fl(mid), {"timeInForce": "FOK"})
        assert (
            subset(
                miss,
                exp := {
                    "status": "expired",
                    "timeInForce": "FOK",
                    "filled": 0.0,
                    "remaining": 0.002,
                    "cost": 0.0,
                    "trades": [],
                },
            )
            == exp
        )
        assert (await a.fetch_order_book(BTC, 1))["asks"][0] == [fl(mid), 0.001]  # untouched
        hit = await a.create_order(BTC, "limit", "buy", 0.001, fl(mid), {"timeInForce": "FOK"})
        assert (
            subset(
                hit,
                exp := {
                    "status": "closed",
                    "timeInForce": "FOK",
                    "filled": 0.001,
                    "remaining": 0.0,
                    "average": fl(mid),
                },
            )
            == exp
        )
        bal = await a.fetch_balance()
        assert_balance(bal, "USDT", D(10000) - QTY * mid)

    drive(scenario)


def test_stop_loss_market_triggers_and_sells_at_the_best_bid(drive):
    """``market`` + ``stopPrice`` -> STOP_LOSS: once triggered, a market sell into the best bid."""

    async def scenario(box: Sandbox):
        a, c, d = box.trader(), box.trader(), box.trader()
        mid = await inside_spread(a)
        await trade_between(c, d, mid)
        await d.create_order(BTC, "limit", "buy", 0.001, fl(mid - 20))  # the best bid
        o = await a.create_order(BTC, "market", "sell", 0.001, None, {"stopPrice": fl(mid - 5)})
        assert (
            subset(
                o,
                exp := {
                    "type": "market",
                    "side": "sell",
                    "status": "open",
                    "price": None,
                    "triggerPrice": fl(mid - 5),
                    "amount": 0.001,
                    "filled": 0.0,
                },
            )
            == exp
        )
        assert o["info"]["type"] == "STOP_LOSS"
        assert_balance(await a.fetch_balance(), "BTC", D("0.999"), QTY)
        await trade_between(c, d, mid - 6)
        done = await a.fetch_order(o["id"], BTC)
        cost = QTY * (mid - 20)
        assert (
            subset(
                done,
                exp := {
                    "type": "market",
                    "status": "closed",
                    "filled": 0.001,
                    "average": fl(mid - 20),
                    "cost": fl(cost),
                    "triggerPrice": fl(mid - 5),
                },
            )
            == exp
        )
        [fill] = await a.fetch_order_trades(o["id"], BTC)
        assert (
            subset(
                fill,
                exp := {
                    "order": o["id"],
                    "side": "sell",
                    "takerOrMaker": "taker",
                    "price": fl(mid - 20),
                    "fee": {"currency": "USDT", "cost": fl(fee_of(cost))},
                },
            )
            == exp
        )
        bal = await a.fetch_balance()
        assert_balance(bal, "BTC", D("0.999"))
        assert_balance(bal, "USDT", D(10000) + cost - fee_of(cost))

    drive(scenario)


def test_self_trade_prevention_expires_the_resting_order(drive):
    """Binance's default EXPIRE_MAKER: our own ask is expired, the market buy goes on to the maker."""

    async def scenario(box: Sandbox):
        a = box.trader()
        await inside_spread(a)  # room below the maker's best ask
        ob = await a.fetch_order_book(BTC, 1)
        maker_ask = dec(ob["asks"][0][0])
        own = await a.create_order(BTC, "limit", "sell", 0.001, fl(maker_ask - 10))
        buy = await a.create_order(BTC, "market", "buy", 0.001)
        assert subset(buy, exp := {"status": "closed", "filled": 0.001, "average": fl(maker_ask)}) == exp
        gone = await a.fetch_order(own["id"], BTC)
        assert subset(gone, exp := {"status": "expired", "filled": 0.0, "remaining": 0.001}) == exp
        assert (gone["info"]["status"], gone["info"]["preventedQuantity"]) == ("EXPIRED_IN_MATCH", "0.00100000")
        [fill] = await a.fetch_my_trades(BTC)  # no trade with itself
        assert (fill["order"], fill["takerOrMaker"], fill["price"]) == (buy["id"], "taker", fl(maker_ask))
        bal = await a.fetch_balance()
        assert_balance(bal, "BTC", D(1) + QTY - fee_of(QTY))  # the expired ask's lock is released
        assert_balance(bal, "USDT", D(10000) - QTY * maker_ask)

    drive(scenario)


def test_rejections_map_to_ccxt_exceptions(drive):
    """The server enforces what ccxt does not check; refusals change nothing."""

    async def scenario(box: Sandbox):
        a, c, d = box.trader({"USDT": "1000", "BTC": "0.01"}), box.trader(), box.trader()
        mid = await inside_spread(a)
        await trade_between(c, d, mid)  # a recent average price for PERCENT_PRICE_BY_SIDE and NOTIONAL
        cases = [
            (ccxt.InsufficientFunds, "insufficient balance", ("limit", "buy", 0.1, mid - 100)),
            (ccxt.InsufficientFunds, "insufficient balance", ("limit", "sell", 0.02, mid + 100)),
            (ccxt.InsufficientFunds, "insufficient balance", ("market", "buy", 0.02, None)),
            (ccxt.BadRequest, "NOTIONAL", ("limit", "buy", 0.00005, mid - 100)),  # 4.5 USDT < 5
            (ccxt.BadRequest, "NOTIONAL", ("market", "buy", 0.00005, None)),
            (ccxt.InvalidOrder, "PERCENT_PRICE_BY_SIDE", ("limit", "sell", 0.001, D(999999))),  # > 5x average
            (ccxt.InvalidOrder, "PERCENT_PRICE_BY_SIDE", ("limit", "buy", 0.001, D(100))),  # < 0.2x average
            (ccxt.InvalidOrder, "PRICE_FILTER", ("limit", "buy", 0.00001, D(1000001))),  # above maxPrice
            (ccxt.InvalidOrder, "LOT_SIZE", ("limit", "buy", 9001, D(1))),  # above maxQty
            (ccxt.InvalidOrder, "MARKET_LOT_SIZE", ("market", "sell", 101, None)),  # above the market maxQty
        ]
        for error, text, (kind, side, amount, price) in cases:
            with pytest.raises(error, match=text):
                await a.create_order(BTC, kind, side, amount, None if price is None else fl(price))
        with pytest.raises(ccxt.InsufficientFunds):  # order/test runs the same checks
            await a.create_order(BTC, "limit", "buy", 0.1, fl(mid - 100), {"test": True})
        await a.create_order(BTC, "limit", "buy", 0.001, fl(mid - 100), {"test": True})  # accepted, not placed
        assert await a.fetch_open_orders(BTC) == []
        bal = await a.fetch_balance()
        assert_balance(bal, "USDT", "1000")
        assert_balance(bal, "BTC", "0.01")
        with pytest.raises(ccxt.BadSymbol):
            await a.public_get_depth({"symbol": "NOPEUSDT"})

    drive(scenario)


# =====================================================================================================
# cancelling and querying orders
# =====================================================================================================


def test_cancel_all_orders(drive):
    async def scenario(box: Sandbox):
        a = box.trader({"USDT": "10000", "BTC": "1", "ETH": "1"})
        mid = await inside_spread(a)
        o1 = await a.create_order(BTC, "limit", "buy", 0.001, fl(mid - 3000))
        o2 = await a.create_order(BTC, "limit", "sell", 0.001, fl(mid + 3000))
        eth_bid = dec((await a.fetch_order_book(ETH, 1))["bids"][0][0])
        o3 = await a.create_order(ETH, "limit", "sell", 0.01, fl(eth_bid + 100))  # far above the bids: rests
        canceled = await a.cancel_all_orders(BTC)
        assert sorted((o["id"], o["status"], o["symbol"]) for o in canceled) == sorted(
            [(o1["id"], "canceled", BTC), (o2["id"], "canceled", BTC)]
        )
        assert await a.fetch_open_orders(BTC) == []
        assert [o["id"] for o in await a.fetch_open_orders(ETH)] == [o3["id"]]
        bal = await a.fetch_balance()
        assert_balance(bal, "USDT", "10000")
        assert_balance(bal, "BTC", "1")
        assert_balance(bal, "ETH", "0.99", "0.01")
        with pytest.raises(ccxt.OrderNotFound):  # Binance: -2011 when there is nothing to cancel
            await a.cancel_all_orders(BTC)

    drive(scenario)


def test_partial_fill_then_cancel(drive):
    async def scenario(box: Sandbox):
        s, t = box.trader(), box.trader()
        mid = await inside_spread(s)
        o = await s.create_order(BTC, "limit", "sell", 0.003, fl(mid), {"clientOrderId": "part-1"})
        take = await t.create_order(BTC, "market", "buy", 0.001)
        part = await s.fetch_order(o["id"], BTC)
        assert (
            subset(
                part,
                exp := {
                    "status": "open",
                    "amount": 0.003,
                    "filled": 0.001,
                    "remaining": 0.002,
                    "cost": fl(QTY * mid),
                    "average": fl(mid),
                    "lastTradeTimestamp": take["info"]["transactTime"],
                },
            )
            == exp
        )
        assert part["info"]["status"] == "PARTIALLY_FILLED"
        assert [x["id"] for x in await s.fetch_open_orders(BTC)] == [o["id"]]
        bal = await s.fetch_balance()
        assert_balance(bal, "BTC", D("0.997"), D("0.002"))
        assert_balance(bal, "USDT", D(10000) + QTY * mid - fee_of(QTY * mid))

        c = await s.cancel_order(None, BTC, {"clientOrderId": "part-1"})
        assert subset(c, exp := {"id": o["id"], "status": "canceled", "filled": 0.001, "remaining": 0.002}) == exp
        assert_balance(await s.fetch_balance(), "BTC", D("0.999"))
        assert [x["id"] for x in await s.fetch_canceled_orders(BTC)] == [o["id"]]
        assert await s.fetch_closed_orders(BTC) == []
        [fill] = await s.fetch_order_trades(o["id"], BTC)
        assert (
            subset(
                fill,
                exp := {
                    "takerOrMaker": "maker",
                    "side": "sell",
                    "amount": 0.001,
                    "price": fl(mid),
                    "id": take["trades"][0]["id"],
                },
            )
            == exp
        )

    drive(scenario)


def test_edit_order_replaces_it(drive):
    """ccxt's ``edit_order`` on spot is Binance's cancelReplace: a new order, the old one canceled."""

    async def scenario(box: Sandbox):
        a = box.trader()
        mid = await inside_spread(a)
        old = await a.create_order(BTC, "limit", "buy", 0.001, fl(mid - 1000))
        new = await a.edit_order(old["id"], BTC, "limit", "buy", 0.002, fl(mid - 900))
        assert new["id"] != old["id"]
        assert (
            subset(
                new,
                exp := {
                    "status": "open",
                    "type": "limit",
                    "side": "buy",
                    "price": fl(mid - 900),
                    "amount": 0.002,
                    "remaining": 0.002,
                },
            )
            == exp
        )
        assert (await a.fetch_order(old["id"], BTC))["status"] == "canceled"
        assert [x["id"] for x in await a.fetch_open_orders(BTC)] == [new["id"]]
        lock = D("0.002") * (mid - 900)
        assert_balance(await a.fetch_balance(), "USDT", D(10000) - lock, lock)

    drive(scenario)


def test_fetch_order_by_id_and_client_order_id(drive):
    async def scenario(box: Sandbox):
        a, other = box.trader(), box.trader()
        mid = await inside_spread(a)
        o = await a.create_order(BTC, "limit", "sell", 0.0042, fl(mid + 500), {"clientOrderId": "find-me"})
        by_id = await a.fetch_order(o["id"], BTC)
        by_client = await a.fetch_order(None, BTC, {"clientOrderId": "find-me"})
        for f in (by_id, by_client):
            assert (
                subset(
                    f,
                    exp := {
                        "id": o["id"],
                        "clientOrderId": "find-me",
                        "symbol": BTC,
                        "type": "limit",
                        "side": "sell",
                        "status": "open",
                        "price": fl(mid + 500),
                        "amount": 0.0042,
                        "filled": 0.0,
                        "remaining": 0.0042,
                        "timestamp": o["timestamp"],
                        "triggerPrice": None,
                    },
                )
                == exp
            )
            assert f["info"]["time"] == o["info"]["transactTime"]
        with pytest.raises(ccxt.OrderNotFound):  # another account's order is not found
            await other.fetch_order(o["id"], BTC)
        with pytest.raises(ccxt.OrderNotFound):
            await other.cancel_order(o["id"], BTC)
        with pytest.raises(ccxt.OrderNotFound):
            await a.fetch_order(None, BTC, {"clientOrderId": "never-sent"})
        with pytest.raises(ccxt.InvalidOrder):  # Binance: -2010 "Duplicate order sent." for an open one
            await a.create_order(BTC, "limit", "sell", 0.001, fl(mid + 500), {"clientOrderId": "find-me"})

    drive(scenario)


def test_fetch_orders_open_closed_canceled(drive):
    async def scenario(box: Sandbox):
        s, a = box.trader(), box.trader()
        mid = await inside_spread(a)
        await s.create_order(BTC, "limit", "sell", 0.002, fl(mid))
        filled = await a.create_order(BTC, "market", "buy", 0.001)
        resting = await a.create_order(BTC, "limit", "buy", 0.001, fl(mid - 1000))
        gone = await a.create_order(BTC, "limit", "buy", 0.001, fl(mid - 1001))
        await a.cancel_order(gone["id"], BTC)
        expired = await a.create_order(BTC, "limit", "buy", 0.002, fl(mid), {"timeInForce": "IOC"})
        placed = [filled, resting, gone, expired]

        every = await a.fetch_orders(BTC)
        assert [(o["id"], o["status"]) for o in every] == [
            (filled["id"], "closed"),
            (resting["id"], "open"),
            (gone["id"], "canceled"),
            (expired["id"], "expired"),
        ]
        assert (
            subset(
                every[0],
                exp := {"type": "market", "side": "buy", "filled": 0.001, "average": fl(mid), "cost": fl(QTY * mid)},
            )
            == exp
        )
        assert subset(every[3], exp := {"filled": 0.001, "remaining": 0.001, "timeInForce": "IOC"}) == exp
        assert [o["id"] for o in await a.fetch_open_orders(BTC)] == [resting["id"]]
        assert [o["id"] for o in await a.fetch_closed_orders(BTC)] == [filled["id"]]
        assert [o["id"] for o in await a.fetch_canceled_orders(BTC)] == [gone["id"]]

        times = [o["timestamp"] for o in every]
        assert times == sorted(times) and times == [o["timestamp"] for o in placed]
        assert [o["id"] for o in await a.fetch_orders(BTC, limit=2)] == [gone["id"], expired["id"]]
        since = times[1]
        want = [o["id"] for o in every if o["timestamp"] >= since]
        assert [o["id"] for o in await a.fetch_orders(BTC, since)] == want
        assert [o["id"] for o in await a.fetch_orders(BTC, since, 2)] == want[:2]

    drive(scenario)


# =====================================================================================================
# trades
# =====================================================================================================


def test_two_party_trade(drive):
    """A rests a limit sell, B buys it at market: maker and taker sides, fees and balances, exactly."""

    async def scenario(box: Sandbox):
        a = box.trader({"BTC": "0.5"})
        b = box.trader({"USDT": "5000"})
        mid = await inside_spread(a)
        qty = D("0.0025")
        sell = await a.create_order(BTC, "limit", "sell", fl(qty), fl(mid))
        assert_balance(await a.fetch_balance(), "BTC", D("0.4975"), qty)
        buy = await b.create_order(BTC, "market", "buy", fl(qty))
        cost = qty * mid
        maker_fee, taker_fee = fee_of(cost), fee_of(qty)
        assert (
            subset(
                buy,
                exp := {
                    "status": "closed",
                    "filled": fl(qty),
                    "average": fl(mid),
                    "cost": fl(cost),
                    "fee": {"currency": "BTC", "cost": fl(taker_fee)},
                },
            )
            == exp
        )
        assert D(buy["info"]["cummulativeQuoteQty"]) == cost

        [ta] = await a.fetch_my_trades(BTC)
        [tb] = await b.fetch_my_trades(BTC)
        common = {"symbol": BTC, "price": fl(mid), "amount": fl(qty), "cost": fl(cost), "id": ta["id"]}
        assert (
            subset(
                ta,
                exp := {
                    **common,
                    "order": sell["id"],
                    "side": "sell",
                    "takerOrMaker": "maker",
                    "fee": {"currency": "USDT", "cost": fl(maker_fee)},
                },
            )
            == exp
        )
        assert (
            subset(
                tb,
                exp := {
                    **common,
                    "order": buy["id"],
                    "side": "buy",
                    "takerOrMaker": "taker",
                    "fee": {"currency": "BTC", "cost": fl(taker_fee)},
                },
            )
            == exp
        )
        assert ta["timestamp"] == tb["timestamp"] == buy["info"]["transactTime"]
        assert (D(ta["info"]["commission"]), D(tb["info"]["commission"])) == (maker_fee, taker_fee)
        assert D(ta["info"]["quoteQty"]) == cost

        bal_a, bal_b = await a.fetch_balance(), await b.fetch_balance()
        assert_balance(bal_a, "BTC", D("0.5") - qty)
        assert_balance(bal_a, "USDT", cost - maker_fee)
        assert_balance(bal_b, "BTC", qty - taker_fee)
        assert_balance(bal_b, "USDT", D(5000) - cost)
        assert (await a.fetch_order(sell["id"], BTC))["status"] == "closed"

    drive(scenario)


def test_trade_in_a_btc_quoted_market(drive):
    """ETH/BTC: the maker's fee is taken in BTC, the taker's in ETH, at ETH/BTC's own precision."""

    async def scenario(box: Sandbox):
        a = box.trader({"ETH": "2"})
        b = box.trader({"BTC": "0.1"})
        ob = await a.fetch_order_book("ETH/BTC", 1)
        bid, ask = dec(ob["bids"][0][0]), dec(ob["asks"][0][0])
        price = ((bid + ask) / 2).quantize(D("0.00001"), rounding=ROUND_DOWN)
        assert bid < price < ask, f"ETH/BTC: no free price inside {bid}..{ask}"
        qty = D(1)  # x a 5-decimal price: a 5-decimal cost, so its 0.1% fee is exact in satoshis
        sell = await a.create_order("ETH/BTC", "limit", "sell", fl(qty), fl(price))
        buy = await b.create_order("ETH/BTC", "market", "buy", fl(qty))
        cost = qty * price
        assert (
            subset(
                buy,
                exp := {
                    "symbol": "ETH/BTC",
                    "status": "closed",
                    "filled": fl(qty),
                    "average": fl(price),
                    "cost": fl(cost),
                    "fee": {"currency": "ETH", "cost": fl(fee_of(qty))},
                },
            )
            == exp
        )
        [ta] = await a.fetch_my_trades("ETH/BTC")
        assert (
            subset(
                ta,
                exp := {
                    "order": sell["id"],
                    "takerOrMaker": "maker",
                    "side": "sell",
                    "cost": fl(cost),
                    "fee": {"currency": "BTC", "cost": fl(fee_of(cost))},
                },
            )
            == exp
        )
        bal_a, bal_b = await a.fetch_balance(), await b.fetch_balance()
        assert_balance(bal_a, "ETH", D(2) - qty)
        assert_balance(bal_a, "BTC", cost - fee_of(cost))
        assert_balance(bal_b, "ETH", qty - fee_of(qty))
        assert_balance(bal_b, "BTC", D("0.1") - cost)

    drive(scenario)


def test_fetch_my_trades_fields_and_paging(drive):
    async def scenario(box: Sandbox):
        s, t = box.trader(), box.trader()
        mid = await inside_spread(t)
        prices = [mid + i for i in (1, 2, 3, 4)]
        for px in prices:
            await s.create_order(BTC, "limit", "sell", 0.001, fl(px))
        orders = [await t.create_order(BTC, "market", "buy", 0.001) for _ in prices]

        mine = await t.fetch_my_trades(BTC)
        assert [
            (x["order"], x["price"], x["amount"], x["cost"], x["side"], x["takerOrMaker"], x["fee"]) for x in mine
        ] == [
            (o["id"], fl(px), 0.001, fl(QTY * px), "buy", "taker", {"currency": "BTC", "cost": 1e-06})
            for o, px in zip(orders, prices, strict=True)
        ]
        assert [x["id"] for x in mine] == [o["trades"][0]["id"] for o in orders]
        assert [x["timestamp"] for x in mine] == [o["info"]["transactTime"] for o in orders]
        theirs = await s.fetch_my_trades(BTC)
        assert [(x["id"], x["side"], x["takerOrMaker"], x["fee"]) for x in theirs] == [
            (ours["id"], "sell", "maker", {"currency": "USDT", "cost": fl(fee_of(QTY * px))})
            for ours, px in zip(mine, prices, strict=True)
        ]

        assert [x["id"] for x in await t.fetch_my_trades(BTC, limit=2)] == [x["id"] for x in mine[2:]]
        since = mine[1]["timestamp"]
        want = [x["id"] for x in mine if x["timestamp"] >= since]
        assert [x["id"] for x in await t.fetch_my_trades(BTC, since)] == want
        assert [x["id"] for x in await t.fetch_my_trades(BTC, since, 2)] == want[:2]
        assert await t.fetch_my_trades(BTC, mine[-1]["timestamp"] + 1) == []
        assert await t.fetch_my_trades(ETH) == []

    drive(scenario)


# =====================================================================================================
# public market data
# =====================================================================================================


def test_fetch_order_book(drive):
    async def scenario(box: Sandbox):
        a, pub = box.trader(), box.client()
        before = await pub.fetch_order_book(BTC, 5)
        mid = await inside_spread(pub)
        await a.create_order(BTC, "limit", "buy", 0.00123, fl(mid - 1))
        await a.create_order(BTC, "limit", "buy", 0.001, fl(mid - 1))
        await a.create_order(BTC, "limit", "sell", 0.0042, fl(mid + 1))
        ob = await pub.fetch_order_book(BTC, 5)
        assert ob["symbol"] == BTC and ob["timestamp"] is None
        assert ob["bids"] == [[fl(mid - 1), fl(D("0.00223"))]] + before["bids"][:4]
        assert ob["asks"] == [[fl(mid + 1), 0.0042]] + before["asks"][:4]
        assert ob["nonce"] >= before["nonce"] + 3  # lastUpdateId counts the book's changes
        full = await pub.fetch_order_book(BTC)
        assert full["bids"][:5] == ob["bids"] and full["asks"][:5] == ob["asks"] and len(full["bids"]) > 5
        assert [px for px, _ in full["bids"]] == sorted((px for px, _ in full["bids"]), reverse=True)
        assert [px for px, _ in full["asks"]] == sorted(px for px, _ in full["asks"])
        one = await pub.fetch_order_book(BTC, 1)
        assert (one["bids"], one["asks"]) == ([ob["bids"][0]], [ob["asks"][0]])

    drive(scenario)


def test_fetch_ticker_and_tickers(drive):
    """The 24 h ticker after our trades: statistics exactly those of the whole public tape (every
    trade of this test run is inside the window), the touch exactly our resting orders."""

    async def scenario(box: Sandbox):
        s, b, pub = box.trader(), box.trader(), box.client()
        mid = await inside_spread(pub)
        await trade_between(s, b, mid + 2, D("0.003"))
        await trade_between(s, b, mid - 2, D("0.002"))
        await s.create_order(BTC, "limit", "sell", 0.0031, fl(mid + 6))
        await b.create_order(BTC, "limit", "buy", 0.0017, fl(mid - 6))
        t = await pub.fetch_ticker(BTC)
        rows = await public_tape(box)
        assert [(r["price"], r["amount"]) for r in rows[-2:]] == [(fl(mid + 2), 0.003), (fl(mid - 2), 0.002)]
        prices = [dec(r["price"]) for r in rows]
        volume = sum(D(r["info"]["q"]) for r in rows)
        quote_volume = sum(D(r["info"]["p"]) * D(r["info"]["q"]) for r in rows)
        assert (
            subset(
                t,
                exp := {
                    "symbol": BTC,
                    "bid": fl(mid - 6),
                    "bidVolume": 0.0017,
                    "ask": fl(mid + 6),
                    "askVolume": 0.0031,
                    "last": fl(mid - 2),
                    "close": fl(mid - 2),
                    "open": fl(prices[0]),
                    "high": fl(max(prices)),
                    "low": fl(min(prices)),
                    "baseVolume": fl(volume),
                    "quoteVolume": fl(quote_volume),
                    "change": fl(mid - 2 - prices[0]),
                    "timestamp": t["info"]["closeTime"],
                },
            )
            == exp
        )
        assert t["vwap"] == pytest.approx(fl(quote_volume / volume), rel=1e-12)  # 8 decimals
        first, last = rows[0]["info"]["f"], rows[-1]["info"]["l"]
        assert (t["info"]["firstId"], t["info"]["lastId"], t["info"]["count"]) == (first, last, last - first + 1)

        same = {k: t[k] for k in ("bid", "ask", "last", "baseVolume", "quoteVolume", "high", "low", "open")}
        every = await box.client().fetch_tickers()  # (a fresh client: ccxt rates this call 40)
        assert sorted(every) == SYMBOLS
        assert subset(every[BTC], same) == same
        two = await box.client().fetch_tickers([BTC, ETH])
        assert sorted(two) == [BTC, ETH]
        assert subset(two[BTC], same) == same

        rolling = await box.client().fetch_ticker(BTC, {"rolling": True})  # /api/v3/ticker, 1d window
        assert (
            subset(
                rolling,
                exp := {k: t[k] for k in ("last", "baseVolume", "quoteVolume", "high", "low", "open")}
                | {"bid": None, "ask": None},
            )
            == exp
        )
        quotes = await box.client().fetch_bids_asks([BTC])
        assert (
            subset(
                quotes[BTC], exp := {"bid": fl(mid - 6), "bidVolume": 0.0017, "ask": fl(mid + 6), "askVolume": 0.0031}
            )
            == exp
        )
        last = await box.client().fetch_last_prices([BTC])
        assert last[BTC]["price"] == fl(mid - 2)

    drive(scenario)


def test_ticker_previous_close_is_the_trade_before_the_window(server):
    """Binance's ``prevClosePrice`` (ccxt ``previousClose``) is the price of the trade before the
    first one in the 24 h window (the 24hrTicker stream's ``x``: "First trade(F)-1 price"), never
    the window's own last trade. This session's trades are all inside the window: there is none."""

    async def scenario(box: Sandbox):
        s, b, pub = box.trader(), box.trader(), box.client()
        mid = await inside_spread(pub)
        await trade_between(s, b, mid + D("0.37"))
        await trade_between(s, b, mid - D("0.41"))
        t = await pub.fetch_ticker(BTC)
        assert t["last"] == fl(mid - D("0.41"))
        assert (t["info"]["prevClosePrice"], t["previousClose"]) == ("0.00000000", 0.0), t["info"]

    run_scenario(server, "sync", scenario)


def test_fetch_trades(drive):
    """Public trades come from aggTrades: one row per taker order and price."""

    async def scenario(box: Sandbox):
        s, b, t, pub = box.trader(), box.trader(), box.trader(), box.client()
        mid = await inside_spread(pub)
        await s.create_order(BTC, "limit", "sell", 0.001, fl(mid + 1))
        await s.create_order(BTC, "limit", "sell", 0.002, fl(mid + 1))
        await s.create_order(BTC, "limit", "sell", 0.001, fl(mid + 2))
        await b.create_order(BTC, "limit", "buy", 0.0015, fl(mid - 1))
        up = await t.create_order(BTC, "market", "buy", 0.004)  # 2 fills at mid+1, 1 at mid+2
        down = await t.create_order(BTC, "market", "sell", 0.0015)
        rows = await box.client().fetch_trades(BTC, limit=3)  # (fresh clients: ccxt rates aggTrades 20)
        assert [(r["price"], r["amount"], r["cost"], r["side"], r["timestamp"], r["symbol"]) for r in rows] == [
            (fl(mid + 1), 0.003, fl(D("0.003") * (mid + 1)), "buy", up["info"]["transactTime"], BTC),
            (fl(mid + 2), 0.001, fl(QTY * (mid + 2)), "buy", up["info"]["transactTime"], BTC),
            (fl(mid - 1), 0.0015, fl(D("0.0015") * (mid - 1)), "sell", down["info"]["transactTime"], BTC),
        ]
        ids = [int(r["id"]) for r in rows]
        assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
        first, last = rows[0]["info"]["f"], rows[0]["info"]["l"]
        assert last == first + 1  # the two fills at mid+1 in one aggregate
        assert [int(f["tradeId"]) for f in up["info"]["fills"]] == [first, last, last + 1]

        since = rows[2]["timestamp"]
        later = await box.client().fetch_trades(BTC, since)  # startTime=since, endTime=since + 1 h
        assert later and all(r["timestamp"] >= since for r in later) and later[-1]["id"] == rows[2]["id"]

        single = await box.client().fetch_trades(BTC, limit=4, params={"fetchTradesMethod": "publicGetTrades"})
        assert [(r["id"], r["price"], r["amount"], r["side"]) for r in single] == [
            (str(first), fl(mid + 1), 0.001, "buy"),
            (str(first + 1), fl(mid + 1), 0.002, "buy"),
            (str(first + 2), fl(mid + 2), 0.001, "buy"),
            (down["trades"][0]["id"], fl(mid - 1), 0.0015, "sell"),
        ]

    drive(scenario)


TIMEFRAMES = ("1s", "1m", "1h", "1d", "1w", "1M")


def candle_open(t: int, timeframe: str) -> int:
    """Open time (ms, UTC) of the candle holding ``t``: weeks start on Monday, months on the 1st."""
    if timeframe == "1M":
        day = datetime.fromtimestamp(t / 1000, UTC)
        return int(datetime(day.year, day.month, 1, tzinfo=UTC).timestamp()) * 1000
    if timeframe == "1w":
        return t - (t + 3 * DAY_MS) % (7 * DAY_MS)  # the epoch was a Thursday
    length = {"1s": 1000, "1m": 60_000, "1h": 3_600_000, "1d": DAY_MS}[timeframe]
    return t - t % length


def test_fetch_ohlcv(drive):
    """Each candle holding our trades (1s to 1M) is exactly the public trades of its interval:
    open, high, low, close and volume, our trades the last ones; later candles up to now are flat."""

    async def scenario(box: Sandbox):
        s, b, pub = box.trader(), box.trader(), box.client()
        mid = await inside_spread(pub)
        plan = [(mid + 3, D("0.001")), (mid - 4, D("0.002")), (mid + 1, D("0.0015"))]
        fills = [(await trade_between(s, b, px, q))[1] for px, q in plan]
        rows = await public_tape(box)
        assert [(r["price"], r["amount"], r["timestamp"]) for r in rows[-3:]] == [
            (fl(px), fl(q), f["timestamp"]) for (px, q), f in zip(plan, fills, strict=True)
        ]
        for tf in TIMEFRAMES:
            for start in sorted({candle_open(f["timestamp"], tf) for f in fills}):
                inside = [r for r in rows if candle_open(r["timestamp"], tf) == start]
                prices = [r["price"] for r in inside]
                expected = [
                    start,
                    prices[0],
                    max(prices),
                    min(prices),
                    prices[-1],
                    fl(sum(D(r["info"]["q"]) for r in inside)),
                ]
                assert await pub.fetch_ohlcv(BTC, tf, start, 1) == [expected], tf
            # the newest up to our last trade (endTime): its candle ends the page
            assert (await pub.fetch_ohlcv(BTC, tf, limit=2, params={"until": fills[-1]["timestamp"]}))[
                -1
            ] == expected, tf
            # the newest without bounds: consecutive candles up to the open one holding the server's
            # now; any after our last trade's are flat at its price with no volume
            before = await pub.fetch_time()
            newest = await pub.fetch_ohlcv(BTC, tf, limit=3)
            after = await pub.fetch_time()
            assert candle_open(before, tf) <= newest[-1][0] <= candle_open(after, tf), (tf, newest)
            assert all(candle_open(b[0] - 1, tf) == a[0] for a, b in itertools.pairwise(newest)), (tf, newest)
            for c in newest:
                if c[0] == expected[0]:
                    assert c == expected, tf
                elif c[0] > expected[0]:
                    assert c == [c[0], *[expected[4]] * 4, 0.0], (tf, c)

    drive(scenario)


def test_fetch_time_status_and_trading_fees(server, drive):
    async def scenario(box: Sandbox):
        a, pub = box.trader(), box.client()
        lo = server.venue.now()
        t = await pub.fetch_time()
        assert isinstance(t, int) and lo <= t <= server.venue.now()
        status = await pub.fetch_status()
        assert subset(status, exp := {"status": "ok", "updated": None, "eta": None, "url": None}) == exp
        fees = await a.fetch_trading_fees()
        assert sorted(fees) == SYMBOLS
        for symbol in SYMBOLS:
            assert subset(fees[symbol], exp := {"symbol": symbol, "maker": 0.001, "taker": 0.001}) == exp
        one = await a.fetch_trading_fee(ETH)
        assert subset(one, exp := {"symbol": ETH, "maker": 0.001, "taker": 0.001}) == exp

    drive(scenario)
