"""ccxt's own structure validators (shipped in its wheel) run on the simulator's real answers.

Unmodified ccxt talks to a real uvicorn server; every unified structure it parses from sandex's
Binance-shaped JSON goes through the checkers ccxt's own CI runs against the real Binance:
markets, currencies, balance, tickers, order book, public and private trades, OHLCV, orders in
each state, trading fees, status. The checks are plain ``assert``s, so nothing here may run under
``python -O``.

Before validating, two fresh accounts trade with each other inside the spread (one rests, the
other takes it) and one of them sends market orders against the static book, in every market,
so trades, tickers, klines and order histories are non-trivial.
"""

from __future__ import annotations

import itertools
import sys

import ccxt
import pytest
from ccxt.base.precise import Precise

# Imported under other names: a module-level ``test_*`` callable would be collected by pytest.
from ccxt.test.exchange.base import test_balance as check_balance
from ccxt.test.exchange.base import test_currency as check_currency
from ccxt.test.exchange.base import test_market as check_market
from ccxt.test.exchange.base import test_ohlcv as check_ohlcv
from ccxt.test.exchange.base import test_order as check_order
from ccxt.test.exchange.base import test_order_book as check_order_book
from ccxt.test.exchange.base import test_shared_methods
from ccxt.test.exchange.base import test_status as check_status
from ccxt.test.exchange.base import test_ticker as check_ticker
from ccxt.test.exchange.base import test_trade as check_trade
from ccxt.test.exchange.base import test_trading_fee as check_trading_fee
from ccxt.test.exchange.sync.test_fetch_balance import test_fetch_balance as run_fetch_balance
from ccxt.test.exchange.sync.test_fetch_closed_orders import test_fetch_closed_orders as run_fetch_closed_orders
from ccxt.test.exchange.sync.test_fetch_currencies import test_fetch_currencies as run_fetch_currencies
from ccxt.test.exchange.sync.test_fetch_my_trades import test_fetch_my_trades as run_fetch_my_trades
from ccxt.test.exchange.sync.test_fetch_ohlcv import test_fetch_ohlcv as run_fetch_ohlcv
from ccxt.test.exchange.sync.test_fetch_open_orders import test_fetch_open_orders as run_fetch_open_orders
from ccxt.test.exchange.sync.test_fetch_order_book import test_fetch_order_book as run_fetch_order_book
from ccxt.test.exchange.sync.test_fetch_orders import test_fetch_orders as run_fetch_orders
from ccxt.test.exchange.sync.test_fetch_status import test_fetch_status as run_fetch_status
from ccxt.test.exchange.sync.test_fetch_ticker import test_fetch_ticker as run_fetch_ticker
from ccxt.test.exchange.sync.test_fetch_tickers import test_fetch_tickers as run_fetch_tickers
from ccxt.test.exchange.sync.test_fetch_trades import test_fetch_trades as run_fetch_trades
from ccxt.test.exchange.sync.test_fetch_trading_fee import test_fetch_trading_fee as run_fetch_trading_fee
from ccxt.test.exchange.sync.test_fetch_trading_fees import test_fetch_trading_fees as run_fetch_trading_fees

from .conftest import binance, new_account

SYMBOLS = ["BTC/USDT", "ETH/USDT", "ETH/BTC", "BNB/USDT", "SOL/USDT"]
# (amount the two accounts trade with each other, amount of each market order against the book)
SIZES = {
    "BTC/USDT": (0.01, 0.002),
    "ETH/USDT": (0.5, 0.05),
    "ETH/BTC": (1, 0.1),
    "BNB/USDT": (1, 0.2),
    "SOL/USDT": (5, 1),
}
BALANCES = {"USDT": "200000", "BTC": "5", "ETH": "50", "BNB": "100", "SOL": "500"}
# Spot depth carries no timestamp on Binance (ccxt leaves it None); the reference (§9) documents
# exactly this skip for test_fetch_order_book.
NO_BOOK_TIMESTAMP = {"timestamp": True, "datetime": True}

pytestmark = pytest.mark.skipif(sys.flags.optimize > 0, reason="ccxt's validators are plain asserts")


def _client(server, account: dict) -> ccxt.binance:
    ex = binance(server.url, account["apiKey"], account["secret"])
    ex.load_markets()
    return ex


@pytest.fixture(scope="module")
def scene(server):
    """Two accounts that traded with each other in every market, plus market orders, an open order
    and a canceled one; returns the clients and the orders they placed."""
    maker = _client(server, new_account(server, BALANCES))
    taker = _client(server, new_account(server, BALANCES))
    orders: dict[str, dict] = {}
    for symbol in SYMBOLS:
        market = maker.market(symbol)
        tick = market["precision"]["price"]
        cross, sweep = SIZES[symbol]
        book = maker.fetch_order_book(symbol, 5)
        bid, ask = book["bids"][0][0], book["asks"][0][0]
        # One tick under the best ask: nobody else rests there, so the taker meets only the maker.
        price = float(maker.price_to_precision(symbol, ask - tick))
        assert price > bid, f"{symbol}: spread {bid}..{ask} has no room for an order inside it"
        rest = maker.create_order(symbol, "limit", "sell", cross, price)
        assert rest["status"] == "open", rest
        take = taker.create_order(symbol, "limit", "buy", cross, price)
        assert take["status"] == "closed" and take["filled"] == cross, take
        market_buy = taker.create_order(symbol, "market", "buy", sweep)
        market_sell = taker.create_order(symbol, "market", "sell", sweep)
        # An order far from the touch that stays open, and one that is canceled.
        far = float(maker.price_to_precision(symbol, bid * 0.9))
        open_ = maker.create_order(symbol, "limit", "buy", cross, far)
        canceled = maker.create_order(symbol, "limit", "buy", cross, far)
        maker.cancel_order(canceled["id"], symbol)
        orders[symbol] = {
            "rest": rest,
            "take": take,
            "market_buy": market_buy,
            "market_sell": market_sell,
            "open": open_,
            "canceled": canceled,
        }
    return {"maker": maker, "taker": taker, "orders": orders}


# ---- markets, currencies, status -----------------------------------------------------------------


def test_every_market_passes_test_market(scene):
    ex = scene["taker"]
    spot = [m for m in ex.markets.values() if m["spot"]]
    assert sorted(m["symbol"] for m in spot) == sorted(SYMBOLS)
    assert len(ex.markets) == len(SYMBOLS), "sandex lists no futures, so ccxt should see spot markets only"
    for market in ex.markets.values():
        check_market(ex, {}, "loadMarkets", market)
        assert market["active"] is True, market["symbol"]


def test_fetch_markets_entries_pass_test_market(scene):
    # 4.5.90's test_fetch_markets expects a dict, binance returns a list: validate each entry instead.
    ex = scene["taker"]
    markets = ex.fetch_markets()
    assert isinstance(markets, list) and len(markets) == len(SYMBOLS)
    for market in markets:
        check_market(ex, {}, "fetchMarkets", market)


def test_currencies(scene):
    ex = scene["taker"]
    run_fetch_currencies(ex, {})
    currencies = ex.fetch_currencies()
    # ccxt adds Binance's futures credit BNFCR to whatever the exchange lists.
    assert {"BNB", "BTC", "ETH", "SOL", "USDT"} <= set(currencies), sorted(currencies)
    for code in ("BNB", "BTC", "ETH", "SOL", "USDT"):
        check_currency(ex, {}, "fetchCurrencies", currencies[code])
        assert currencies[code]["id"] == code and currencies[code]["precision"] == 1e-08, currencies[code]
    for code in ("BNB", "BTC", "ETH", "SOL", "USDT"):  # not BNFCR: ccxt's own entry has no "info"
        check_currency(ex, {}, "loadMarkets", ex.currencies[code])


def test_status(scene):
    ex = scene["taker"]
    run_fetch_status(ex, {})
    status = ex.fetch_status()
    check_status(ex, {}, "fetchStatus", status, ex.milliseconds())  # the shipped checker asserts nothing
    assert status["status"] == "ok", status


# ---- public market data -----------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_ticker(scene, symbol):
    ex = scene["taker"]
    run_fetch_ticker(ex, {}, symbol)
    ticker = ex.fetch_ticker(symbol)
    check_ticker(ex, {}, "fetchTicker", ticker, symbol)
    assert ticker["last"] > 0 and ticker["baseVolume"] > 0, ticker
    assert ticker["bid"] < ticker["ask"], ticker


def test_tickers(scene):
    ex = scene["taker"]
    run_fetch_tickers(ex, {}, "BTC/USDT")
    tickers = ex.fetch_tickers()
    assert sorted(tickers) == sorted(SYMBOLS)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_order_book(scene, symbol):
    ex = scene["taker"]
    run_fetch_order_book(ex, NO_BOOK_TIMESTAMP, symbol)
    book = ex.fetch_order_book(symbol, 10)
    check_order_book(ex, NO_BOOK_TIMESTAMP, "fetchOrderBook", book, symbol)
    assert len(book["bids"]) == 10 and len(book["asks"]) == 10
    assert book["nonce"] is not None


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_public_trades(scene, symbol):
    ex = scene["taker"]
    trades = ex.fetch_trades(symbol)  # ccxt's default: /api/v3/aggTrades without a limit
    assert len(trades) >= 3
    now = ex.milliseconds()
    for trade in trades:
        check_trade(ex, {}, "fetchTrades", trade, symbol, now, True)
    assert {t["side"] for t in trades} == {"buy", "sell"}, "the taker bought and sold"
    test_shared_methods.assert_timestamp_order(ex, "fetchTrades", symbol, trades)
    raw = ex.fetch_trades(symbol, params={"fetchTradesMethod": "publicGetTrades"}, limit=1000)  # /api/v3/trades
    for trade in raw:
        check_trade(ex, {}, "fetchTrades", trade, symbol, now, True)
    assert len(raw) >= 3


def test_ccxt_fetch_trades_tester(scene):
    # ccxt's parse_trades orders trades of one millisecond by id as text, so a sweep whose fills
    # cross a power of ten (ids 9 and 10) comes back out of order and the tester's side sequence
    # check reads a rising sweep as falling. Binance's ids are ten digits long and never meet this;
    # the same check runs below on the server's own order.
    ex = scene["taker"]
    run_fetch_trades(ex, {"sideSequence": True}, "BTC/USDT")
    raw = ex.public_get_aggtrades({"symbol": "BTCUSDT", "limit": 1000})
    assert [int(t["a"]) for t in raw] == sorted(int(t["a"]) for t in raw)
    for before, trade in itertools.pairwise(raw):
        if trade["T"] == before["T"] and trade["m"] == before["m"] and trade["p"] != before["p"]:
            rising = Precise.string_gt(trade["p"], before["p"])
            assert rising == (not trade["m"]), (before, trade)  # a taker buy sweeps up, a taker sell down


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_ohlcv(scene, symbol):
    ex = scene["taker"]
    run_fetch_ohlcv(ex, {}, symbol)
    for timeframe in ("1m", "1h", "1d"):
        candles = ex.fetch_ohlcv(symbol, timeframe, limit=5)
        assert candles, (symbol, timeframe)
        now = ex.milliseconds()
        for candle in candles:
            check_ohlcv(ex, {}, "fetchOHLCV", candle, symbol, now)
            # test_ohlcv's own high/low comparisons look up string keys ('1', '4') in a list, which
            # finds nothing in Python, so they pass vacuously: compare here.
            _, open_, high, low, close, volume = candle
            assert low <= min(open_, close) <= max(open_, close) <= high and volume >= 0, candle
        # continuous like Binance's: one candle per interval up to the open one holding now, a quiet
        # interval flat at the close before it
        step = ex.parse_timeframe(timeframe) * 1000
        assert [c[0] for c in candles] == [candles[0][0] + k * step for k in range(len(candles))], candles
        assert candles[-1][0] <= now < candles[-1][0] + step + 60_000, (candles, now)
        for before, candle in itertools.pairwise(candles):
            if candle[5] == 0:
                assert candle[1:5] == [before[4]] * 4, (before, candle)
    # the scene traded in every market today (or, just after midnight, yesterday)
    assert sum(c[5] for c in ex.fetch_ohlcv(symbol, "1d", limit=2)) > 0


# ---- private: balance, fees, trades, orders ---------------------------------------------------------


@pytest.mark.parametrize("who", ["maker", "taker"])
def test_balance(scene, who):
    ex = scene[who]
    run_fetch_balance(ex, {})
    balance = ex.fetch_balance()
    check_balance(ex, {}, "fetchBalance", balance)
    assert balance["used"]["USDT"] > 0 if who == "maker" else balance["used"]["USDT"] == 0


def test_trading_fees(scene):
    ex = scene["taker"]
    run_fetch_trading_fees(ex, {})
    fees = ex.fetch_trading_fees()
    assert sorted(fees) == sorted(SYMBOLS)
    for symbol in SYMBOLS:
        run_fetch_trading_fee(ex, {}, symbol)
        check_trading_fee(ex, {}, "fetchTradingFees", symbol, fees[symbol])
        assert fees[symbol]["maker"] == 0.001 and fees[symbol]["taker"] == 0.001


@pytest.mark.parametrize("symbol", SYMBOLS)
@pytest.mark.parametrize("who", ["maker", "taker"])
def test_my_trades(scene, who, symbol):
    ex = scene[who]
    run_fetch_my_trades(ex, {}, symbol)
    trades = ex.fetch_my_trades(symbol)
    now = ex.milliseconds()
    for trade in trades:
        check_trade(ex, {}, "fetchMyTrades", trade, symbol, now, False)
        assert trade["fee"]["cost"] > 0, trade
    roles = {t["takerOrMaker"] for t in trades}
    assert roles == ({"maker"} if who == "maker" else {"taker"}), trades


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_orders_in_every_state(scene, symbol):
    placed = scene["orders"][symbol]
    expected = {
        "rest": "closed",
        "take": "closed",
        "market_buy": "closed",
        "market_sell": "closed",
        "open": "open",
        "canceled": "canceled",
    }
    for name, status in expected.items():
        ex = scene["maker"] if name in ("rest", "open", "canceled") else scene["taker"]
        created = placed[name]
        check_order(ex, {}, "createOrder", created, symbol, ex.milliseconds())
        fetched = ex.fetch_order(created["id"], symbol)
        check_order(ex, {}, "fetchOrder", fetched, symbol, ex.milliseconds())
        assert fetched["status"] == status, (name, fetched)
        if status == "closed":
            assert fetched["filled"] == fetched["amount"] and fetched["remaining"] == 0, fetched
            assert Precise.string_gt(str(fetched["cost"]), "0"), fetched


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_order_lists(scene, symbol):
    maker, taker = scene["maker"], scene["taker"]
    run_fetch_open_orders(maker, {}, symbol)
    run_fetch_orders(maker, {}, symbol)
    run_fetch_closed_orders(maker, {}, symbol)
    run_fetch_orders(taker, {}, symbol)
    run_fetch_closed_orders(taker, {}, symbol)
    assert [o["id"] for o in maker.fetch_open_orders(symbol)] == [scene["orders"][symbol]["open"]["id"]]
    assert taker.fetch_open_orders(symbol) == []
    assert len(maker.fetch_orders(symbol)) == 3 and len(taker.fetch_orders(symbol)) == 3


def test_canceled_order_answer(server):
    """The cancel answer itself passes test_order (a fresh account: the scene's order counts stay put)."""
    ex = _client(server, new_account(server, BALANCES))
    symbol = "BTC/USDT"
    bid = ex.fetch_order_book(symbol, 5)["bids"][0][0]
    order = ex.create_order(symbol, "limit", "buy", 0.001, float(ex.price_to_precision(symbol, bid * 0.9)))
    canceled = ex.cancel_order(order["id"], symbol)
    check_order(ex, {}, "cancelOrder", canceled, symbol, ex.milliseconds())
    assert canceled["status"] == "canceled"


def test_ccxt_create_order_scenarios(server):
    """ccxt's two createOrder scenarios with its own order-state checks: an unfillable limit buy 4.5%
    under the bid (open, then canceled), a fillable limit buy 4.5% over the ask (closed), and a market
    sell closing it (closed); each answer and each fetched order goes through test_order.

    ``ccxt.test.exchange.sync.test_create_order`` can't run in Python in 4.5.90: its transpiled code
    concatenates str and float for a debug line (TypeError), calls decimal_to_precision with ROUND_UP
    (which the Python implementation asserts against) and raises an undefined ``Error``, so the
    scenarios are rebuilt here from the same steps."""
    ex = _client(server, new_account(server, BALANCES))
    symbol = "ETH/USDT"
    best_bid, best_ask = test_shared_methods.fetch_best_bid_ask(ex, "createOrder", symbol)
    amount = float(ex.amount_to_precision(symbol, 2 * ex.market(symbol)["limits"]["cost"]["min"] / best_bid))

    def placed(order_type, side, price, expected, strict_created):
        created = ex.create_order(symbol, order_type, side, amount, price)
        check_order(ex, {}, "createOrder", created, symbol, ex.milliseconds())
        test_shared_methods.assert_order_state(ex, {}, "createdOrder", created, expected, strict_created)
        fetched = ex.fetch_order(created["id"], symbol)  # shared fetch_order indexes ex[...]: not in Python
        check_order(ex, {}, "fetchOrder", fetched, symbol, ex.milliseconds())
        test_shared_methods.assert_order_state(ex, {}, "fetchedOrder", fetched, expected, True)
        assert created["side"] == fetched["side"] == side
        return created

    unfillable = placed("limit", "buy", float(ex.price_to_precision(symbol, best_bid / 1.045)), "open", True)
    canceled = ex.cancel_order(unfillable["id"], symbol)
    check_order(ex, {}, "cancelOrder", canceled, symbol, ex.milliseconds())
    test_shared_methods.assert_order_state(ex, {}, "cancelOrder", canceled, "canceled", True)
    placed("limit", "buy", float(ex.price_to_precision(symbol, best_ask * 1.045)), "closed", True)
    placed("market", "sell", None, "closed", True)
    assert ex.fetch_open_orders(symbol) == []
    states = sorted(o["status"] for o in ex.fetch_orders(symbol))
    assert states == ["canceled", "closed", "closed"], states
