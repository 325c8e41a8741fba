"""Binance's market streams over WebSocket, against a real uvicorn on 127.0.0.1.

Raw clients (the ``websockets`` library) check the protocol to the letter: the control messages,
their error objects, the raw and combined forms, the diff depth chain; unmodified ccxt.pro keeps a
local order book from the diff stream and REST snapshots over hundreds of changes and must end
equal to ``/api/v3/depth``; ccxt.pro's own shipped ``test_watch_*`` checkers validate what it
parses from a market the synthetic makers keep moving.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Iterator

import ccxt
import ccxt.pro as ccxtpro
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from client.targets import point_at
from engine import OrderType, SelfTradePrevention, Side, TimeInForce
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import RunningServer, running_server
from simulator.orders import OrderRequest
from simulator.ratelimit import RateLimitConfig

from .conftest import admin, binance, new_account

BALANCES = {"USDT": "1000000", "BTC": "20"}


@pytest.fixture(scope="module")
def quiet() -> Iterator[RunningServer]:
    """No liquidity: every change on the book is one the test made."""
    config = SimulatorConfig(liquidity=False, rate_limits=RateLimitConfig(enabled=False))
    with running_server(config) as srv:
        yield srv


def ws_url(server: RunningServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


async def recv_json(ws, timeout: float = 5.0) -> object:
    return orjson.loads(await asyncio.wait_for(ws.recv(), timeout))


def traders(server: RunningServer, market: str = "BTC/USDT") -> tuple[ccxt.binance, ccxt.binance]:
    """Two funded accounts' clients, holding ``market``'s base asset and USDT."""
    base = market.split("/")[0]
    clients = []
    for _ in range(2):
        acct = new_account(server, {**BALANCES, base: BALANCES.get(base, "1000")})
        ex = binance(server.url, acct["apiKey"], acct["secret"])
        ex.load_markets()
        clients.append(ex)
    return clients[0], clients[1]


def churn(server: RunningServer, changes: int, seed: int) -> None:
    """Limit orders on both sides around 90,000 (many crossing), and cancels of resting ones."""
    rng = random.Random(seed)
    a, b = traders(server)
    resting: list[tuple[ccxt.binance, str]] = []
    for _ in range(changes):
        if resting and rng.random() < 0.3:
            ex, order_id = resting.pop(rng.randrange(len(resting)))
            with contextlib.suppress(ccxt.OrderNotFound):  # filled meanwhile
                ex.cancel_order(order_id, "BTC/USDT")
            continue
        ex = rng.choice((a, b))
        side = rng.choice(("buy", "sell"))
        price = 90_000 + rng.randint(-20, 20) * 0.5
        order = ex.create_order("BTC/USDT", "limit", side, rng.randint(1, 40) / 1000, price)
        if order["status"] == "open":
            resting.append((ex, order["id"]))


def test_control_messages_are_answered_as_binance_answers_them(quiet: RunningServer) -> None:
    async def main() -> None:
        async with connect(ws_url(quiet, "/ws")) as ws:

            async def ask(message: object) -> object:
                await ws.send(message if isinstance(message, str) else orjson.dumps(message).decode())
                return await recv_json(ws)

            assert await ask({"method": "SUBSCRIBE", "params": ["btcusdt@trade", "ethusdt@depth"], "id": 1}) == {
                "result": None,
                "id": 1,
            }
            assert await ask({"method": "LIST_SUBSCRIPTIONS", "id": "a7"}) == {
                "result": ["btcusdt@trade", "ethusdt@depth"],
                "id": "a7",
            }
            assert await ask({"method": "UNSUBSCRIBE", "params": ["ethusdt@depth"], "id": 2}) == {
                "result": None,
                "id": 2,
            }
            await asyncio.sleep(1.1)  # (5 messages a second)
            assert await ask({"method": "GET_PROPERTY", "params": ["combined"], "id": 3}) == {"result": False, "id": 3}
            assert await ask({"method": "SET_PROPERTY", "params": ["combined", True], "id": 4}) == {
                "result": None,
                "id": 4,
            }
            assert await ask({"method": "GET_PROPERTY", "params": ["combined"], "id": 5}) == {"result": True, "id": 5}
            reply = await ask({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 6})
            assert reply == {"error": {"code": 1, "msg": "Invalid value type: expected Boolean"}, "id": 6}
            await asyncio.sleep(1.1)
            assert await ask({"method": "GET_PROPERTY", "params": ["speed"], "id": 7}) == {
                "error": {"code": 0, "msg": "Unknown property"},
                "id": 7,
            }
            reply = await ask('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1')
            assert reply["error"]["code"] == 3 and reply["error"]["msg"].startswith("Invalid JSON: ")
            reply = await ask({"method": "SUBSCRIBED", "params": [], "id": 8})
            assert reply["error"]["code"] == 2
            assert reply["error"]["msg"].startswith("Invalid request: unknown variant `SUBSCRIBED`, expected one of")
            reply = await ask({"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 9})
            assert reply["error"]["code"] == 2 and reply["id"] == 9
            reply = await ask({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": {"x": 1}})
            assert reply == {
                "error": {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"},
                "id": None,
            }
            await asyncio.sleep(1.1)
            reply = await ask({"params": [], "id": 10})
            assert reply["error"]["code"] == 2 and "missing field `method`" in reply["error"]["msg"]
            # nothing a refused message named was subscribed
            assert await ask({"method": "LIST_SUBSCRIPTIONS", "id": 11}) == {"result": ["btcusdt@trade"], "id": 11}

    asyncio.run(main())


def test_more_than_five_messages_a_second_close_the_connection(quiet: RunningServer) -> None:
    async def main() -> None:
        async with connect(ws_url(quiet, "/ws")) as ws:
            with pytest.raises(ConnectionClosed):
                for i in range(20):
                    await ws.send(orjson.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}).decode())
                for _ in range(20):
                    await recv_json(ws)
            assert ws.close_code == 1008

    asyncio.run(main())


def test_a_path_that_serves_no_stream_is_refused_on_upgrade(quiet: RunningServer) -> None:
    async def main() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url(quiet, "/nowhere")):
                pass
        assert refused.value.response.status_code == 404

    asyncio.run(main())


def test_trades_and_aggregate_trades_are_those_rest_serves(quiet: RunningServer) -> None:
    a, b = traders(quiet)
    events: list[dict] = []

    async def main() -> None:
        url = ws_url(quiet, "/stream?streams=btcusdt@trade/btcusdt@aggTrade")
        async with connect(url) as ws:
            await asyncio.sleep(0.2)
            await asyncio.to_thread(trade_a_little)
            while True:
                try:
                    events.append(await recv_json(ws, timeout=1.5))
                except TimeoutError:
                    return

    def trade_a_little() -> None:
        for i in range(3):
            for price in (90_000, 90_001):
                a.create_order("BTC/USDT", "limit", "sell", 0.01, price)
            b.create_order("BTC/USDT", "limit", "buy", 0.025 + i / 1000, 90_001)

    asyncio.run(main())
    trades = [e["data"] for e in events if e["stream"] == "btcusdt@trade"]
    aggs = [e["data"] for e in events if e["stream"] == "btcusdt@aggTrade"]
    assert trades and aggs
    rest = {t["id"]: t for t in a.public_get_trades({"symbol": "BTCUSDT", "limit": 1000})}
    for t in trades:
        r = rest[t["t"]]
        assert (t["e"], t["s"], t["p"], t["q"], t["T"], t["m"]) == (
            "trade",
            "BTCUSDT",
            r["price"],
            r["qty"],
            r["time"],
            r["isBuyerMaker"],
        )
    assert [t["t"] for t in trades] == sorted(t["t"] for t in trades)
    rest_aggs = {x["a"]: x for x in a.public_get_aggtrades({"symbol": "BTCUSDT", "limit": 1000})}
    for x in aggs:
        assert {k: x[k] for k in ("a", "p", "q", "f", "l", "T", "m", "M")} == rest_aggs[x["a"]]


def test_the_diff_depth_chain_has_no_gap_and_rebuilds_the_rest_book(quiet: RunningServer) -> None:
    """Raw events: each ``U`` is the previous ``u`` + 1; applied to a REST snapshot they give the
    book ``/api/v3/depth`` answers with the same ``lastUpdateId``."""
    client, _ = traders(quiet)

    async def main() -> tuple[list[dict], dict]:
        events: list[dict] = []
        async with connect(ws_url(quiet, "/ws/btcusdt@depth@100ms")) as ws:
            await asyncio.sleep(0.2)
            snapshot = client.public_get_depth({"symbol": "BTCUSDT", "limit": 5000})
            await asyncio.to_thread(churn, quiet, 300, 7)
            final = client.public_get_depth({"symbol": "BTCUSDT", "limit": 5000})
            while not events or events[-1]["u"] < final["lastUpdateId"]:
                events.append(await recv_json(ws))
        return [snapshot, *events], final

    (snapshot, *events), final = asyncio.run(main())
    for before, after in itertools.pairwise(events):
        assert after["U"] == before["u"] + 1
    assert events[-1]["u"] == final["lastUpdateId"]
    book = {"b": {p: q for p, q in snapshot["bids"]}, "a": {p: q for p, q in snapshot["asks"]}}
    for e in events:
        if e["u"] <= snapshot["lastUpdateId"]:
            continue
        assert e["U"] <= snapshot["lastUpdateId"] + 1 or e["U"] > snapshot["lastUpdateId"]
        for side in ("b", "a"):
            for price, qty in e[side]:
                if float(qty) == 0:
                    book[side].pop(price, None)
                else:
                    book[side][price] = qty
    assert sorted(book["b"].items(), key=lambda x: -float(x[0])) == [tuple(x) for x in final["bids"]]
    assert sorted(book["a"].items(), key=lambda x: float(x[0])) == [tuple(x) for x in final["asks"]]


def test_ccxt_pro_keeps_the_order_book_rest_serves(quiet: RunningServer) -> None:
    """Unmodified ccxt.pro: REST snapshot plus ``@depth@100ms`` diffs over hundreds of changes (a
    gap would raise ChecksumError); at the end its book is the server's."""

    async def main() -> None:
        pro = ccxtpro.binance()
        point_at(pro, quiet.url)
        try:
            await pro.load_markets()
            watching = asyncio.create_task(pro.watch_order_book("BTC/USDT"))
            churning = asyncio.create_task(asyncio.to_thread(churn, quiet, 400, 11))
            await watching
            while not churning.done():
                await asyncio.wait_for(pro.watch_order_book("BTC/USDT"), 10)
            await churning
            rest = await pro.fetch_order_book("BTC/USDT", 5000)
            book = pro.orderbooks["BTC/USDT"]
            while book["nonce"] < rest["nonce"]:
                book = await asyncio.wait_for(pro.watch_order_book("BTC/USDT"), 10)
            assert book["nonce"] == rest["nonce"]
            assert [list(x) for x in book["bids"]] == rest["bids"]
            assert [list(x) for x in book["asks"]] == rest["asks"]
        finally:
            await pro.close()

    asyncio.run(main())


def test_book_ticker_and_partial_depth_show_the_top_of_the_book(quiet: RunningServer) -> None:
    client, _ = traders(quiet)

    async def main() -> None:
        streams = "btcusdt@bookTicker/btcusdt@depth5@100ms"
        async with connect(ws_url(quiet, f"/stream?streams={streams}")) as ws:
            await asyncio.sleep(0.2)
            await asyncio.to_thread(client.create_order, "BTC/USDT", "limit", "buy", 0.003, 80_000.5)
            depth = client.public_get_depth({"symbol": "BTCUSDT", "limit": 5})
            seen: dict[str, dict] = {}
            while len(seen) < 2 or seen["btcusdt@depth5@100ms"]["lastUpdateId"] < depth["lastUpdateId"]:
                message = await recv_json(ws)
                seen[message["stream"]] = message["data"]
            assert seen["btcusdt@depth5@100ms"] == depth
            top = seen["btcusdt@bookTicker"]
            best_bid = depth["bids"][0] if depth["bids"] else ["0.00000000", "0.00000000"]
            best_ask = depth["asks"][0] if depth["asks"] else ["0.00000000", "0.00000000"]
            assert (top["s"], top["b"], top["B"], top["a"], top["A"]) == ("BTCUSDT", *best_bid, *best_ask)
            assert top["u"] <= depth["lastUpdateId"]

    asyncio.run(main())


def test_a_kline_closes_on_the_simulated_clock() -> None:
    clock = ManualClock(1_800_000_000_000)  # (a whole minute)
    config = SimulatorConfig(liquidity=False, rate_limits=RateLimitConfig(enabled=False))
    with running_server(config, clock=clock) as server:
        venue = server.venue
        seller, buyer = (venue.create_account({"USDT": 10**14, "BTC": 10**9}) for _ in range(2))

        async def main() -> list[dict]:
            got: list[dict] = []
            async with connect(ws_url(server, "/ws/btcusdt@kline_1m")) as ws:
                await asyncio.sleep(0.2)
                venue.place(seller, _limit(Side.SELL, 1_000_000, 90_000 * 10**8))  # (0.01 BTC)
                venue.place(buyer, _limit(Side.BUY, 1_000_000, 90_000 * 10**8))
                got.append(await recv_json(ws, timeout=5))
                clock.advance(60_000)
                while not got[-1]["k"]["x"]:
                    got.append(await recv_json(ws, timeout=5))
            return got

        events = asyncio.run(main())
    first, closed = events[0]["k"], events[-1]["k"]
    assert (first["t"], first["T"], first["i"], first["x"], first["n"]) == (
        1_800_000_000_000,
        1_800_000_059_999,
        "1m",
        False,
        1,
    )
    assert (closed["t"], closed["x"], closed["o"], closed["c"], closed["v"]) == (
        first["t"],
        True,
        first["o"],
        first["c"],
        "0.01000000",
    )
    assert closed["f"] == closed["L"] == 1


def _limit(side: Side, qty: int, price: int) -> OrderRequest:
    return OrderRequest(
        "BTCUSDT", side, OrderType.LIMIT, TimeInForce.GTC, qty, price, 0, 0, None, SelfTradePrevention.NONE, "ACK"
    )


@pytest.fixture(scope="module")
def moving() -> Iterator[RunningServer]:
    """The default synthetic markets: books and trades that keep moving, as ``sandex serve`` runs."""
    with running_server(SimulatorConfig(rate_limits=RateLimitConfig(enabled=False))) as srv:
        yield srv


# ccxt.pro resolves its first book from the REST snapshot, which carries no time on Binance's spot
# API (the REST validators skip the same); on loopback the snapshot always comes before the first
# diff, so the first book checked is that one. Every later book has the diff's event time.
SKIPPED = {"order_book": {"timestamp": True, "datetime": True}}


@pytest.mark.parametrize("checker", ["order_book", "trades", "ticker", "ohlcv", "bids_asks"])
def test_ccxt_pros_own_checkers_pass(moving: RunningServer, checker: str) -> None:
    module = __import__(f"ccxt.pro.test.Exchange.test_watch_{checker}", fromlist=["x"])
    run = getattr(module, f"test_watch_{checker}")

    async def main() -> None:
        pro = ccxtpro.binance()
        point_at(pro, moving.url)
        try:
            await pro.load_markets()
            await run(pro, SKIPPED.get(checker, {}), "BTC/USDT")
        finally:
            await pro.close()

    asyncio.run(main())


def test_a_listen_key_streams_the_accounts_orders_fills_and_balances(quiet: RunningServer) -> None:
    """The listen-key form: ``POST /api/v3/userDataStream``, then ``/ws/<listenKey>``; one report per
    order event in the engine's order, each with the order's totals as of that event. In BNB/USDT, a
    book no other test here touches: nothing but these orders meets there."""
    maker, taker = traders(quiet, "BNB/USDT")
    key = maker.public_post_userdatastream()["listenKey"]
    assert maker.public_put_userdatastream({"listenKey": key}) == {}

    async def main() -> list[dict]:
        got: list[dict] = []
        async with connect(ws_url(quiet, f"/ws/{key}")) as ws:
            await asyncio.sleep(0.2)
            resting = await asyncio.to_thread(maker.create_order, "BNB/USDT", "limit", "sell", 3, 600)
            await asyncio.to_thread(taker.create_order, "BNB/USDT", "limit", "buy", 1, 600)
            await asyncio.to_thread(taker.create_order, "BNB/USDT", "market", "buy", 0.5)
            await asyncio.to_thread(maker.cancel_order, resting["id"], "BNB/USDT")
            while len([e for e in got if e["e"] == "executionReport"]) < 4:
                got.append(await recv_json(ws))
            with contextlib.suppress(TimeoutError):
                while True:
                    got.append(await recv_json(ws, timeout=0.5))
        return got

    events = asyncio.run(main())
    reports = [e for e in events if e["e"] == "executionReport"]
    assert [(r["x"], r["X"], r["l"], r["z"]) for r in reports] == [
        ("NEW", "NEW", "0.00000000", "0.00000000"),
        ("TRADE", "PARTIALLY_FILLED", "1.00000000", "1.00000000"),
        ("TRADE", "PARTIALLY_FILLED", "0.50000000", "1.50000000"),
        ("CANCELED", "CANCELED", "0.00000000", "1.50000000"),
    ]
    order = maker.fetch_order(reports[0]["i"], "BNB/USDT")
    assert {r["i"] for r in reports} == {int(order["id"])}
    assert reports[-1]["C"] == order["clientOrderId"] and reports[0]["c"] == order["clientOrderId"]
    assert all(r["m"] for r in reports if r["x"] == "TRADE")
    assert reports[1]["L"] == "600.00000000" and reports[1]["Y"] == "600.00000000"
    positions = [e for e in events if e["e"] == "outboundAccountPosition"]
    assert positions  # after each change the account's touched balances, as they then stood
    last = {b["a"]: (b["f"], b["l"]) for b in positions[-1]["B"]}
    balance = maker.fetch_balance()
    assert last["BNB"] == (f"{balance['BNB']['free']:.8f}", f"{balance['BNB']['used']:.8f}")
    assert maker.public_delete_userdatastream({"listenKey": key}) == {}
    with pytest.raises(ccxt.AuthenticationError, match="-1125"):  # (ccxt's mapping of -1125)
        maker.public_put_userdatastream({"listenKey": key})


def test_armed_stream_faults_gap_drop_refuse_delay_and_terminate(quiet: RunningServer) -> None:
    """The admin fault API's ``ws_*`` kinds, each seen the way a client meets it."""
    trader, other = traders(quiet)

    def arm(**fault: object) -> None:
        admin(quiet, "POST", "/sandex/v1/faults", fault)

    async def gap() -> list[dict]:
        events: list[dict] = []
        async with connect(ws_url(quiet, "/ws/btcusdt@depth@100ms")) as ws:
            await asyncio.sleep(0.2)
            await asyncio.to_thread(trader.create_order, "BTC/USDT", "limit", "buy", 0.001, 69_000)
            events.append(await recv_json(ws))
            arm(kind="ws_gap", paths=["btcusdt@depth@100ms"])
            for i in range(6):
                await asyncio.to_thread(trader.create_order, "BTC/USDT", "limit", "buy", 0.001, 70_000 + i)
                await asyncio.sleep(0.25)
            with contextlib.suppress(TimeoutError):
                while True:
                    events.append(await recv_json(ws, timeout=0.5))
        return events

    events = asyncio.run(gap())
    skipped = [b["U"] - a["u"] - 1 for a, b in itertools.pairwise(events) if b["U"] != a["u"] + 1]
    assert len(skipped) == 1 and skipped[0] >= 1  # one diff never sent: the chain has one gap

    async def drop_refuse_delay() -> None:
        async with connect(ws_url(quiet, "/ws/btcusdt@trade")) as ws:
            arm(kind="ws_drop")
            with pytest.raises(ConnectionClosed):
                await recv_json(ws, timeout=3)
            assert ws.close_code == 1011
        arm(kind="ws_refuse")
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url(quiet, "/ws")):
                pass
        assert refused.value.response.status_code == 503
        async with connect(ws_url(quiet, "/ws/btcusdt@trade")) as ws:  # (the fault fired its count)
            arm(kind="ws_delay", ms=800, paths=["btcusdt@trade"])
            await asyncio.sleep(0.2)
            sent = asyncio.get_running_loop().time()
            # (another account sells into the bids the gap part left: a trade at once)
            await asyncio.to_thread(other.create_order, "BTC/USDT", "limit", "sell", 0.001, 60_000)
            event = await recv_json(ws, timeout=5)
            assert event["e"] == "trade" and asyncio.get_running_loop().time() - sent >= 0.8

    asyncio.run(drop_refuse_delay())

    key = trader.public_post_userdatastream()["listenKey"]

    async def terminate() -> dict:
        async with connect(ws_url(quiet, f"/ws/{key}")) as ws:
            await asyncio.sleep(0.2)
            arm(kind="ws_terminate", apiKey=trader.apiKey)
            return await recv_json(ws, timeout=3)

    assert asyncio.run(terminate())["e"] == "eventStreamTerminated"
    assert admin(quiet, "GET", "/sandex/v1/faults")["faults"] == []  # each fired its one count


def test_a_seeded_simulated_run_sends_the_same_events() -> None:
    """Same orders on the same simulated clock, twice: each real-time stream (trades, aggregate
    trades, book tickers) and the account's user data carry the same events, byte for byte."""

    def one_run() -> list[str]:
        clock = ManualClock(1_800_000_000_000)
        config = SimulatorConfig(liquidity=False, rate_limits=RateLimitConfig(enabled=False))
        with running_server(config, clock=clock) as server:
            venue = server.venue
            seller, buyer = (venue.create_account({"USDT": 10**14, "BTC": 10**9}) for _ in range(2))
            key = server.simulator.app.services.listen_keys.create(seller)
            streams = "btcusdt@trade/btcusdt@aggTrade/btcusdt@bookTicker/" + key
            rng = random.Random(3)

            async def main() -> list[str]:
                got: list[str] = []
                async with connect(ws_url(server, f"/stream?streams={streams}")) as ws:
                    await asyncio.sleep(0.2)
                    for i in range(40):
                        side, account = (Side.SELL, seller) if i % 3 else (Side.BUY, buyer)
                        price = (90_000 + rng.randint(-3, 3)) * 10**8
                        venue.place(account, _limit(side, rng.randint(1, 5) * 100_000, price))
                        clock.advance(rng.randint(0, 50))
                    with contextlib.suppress(TimeoutError):
                        while True:
                            got.append(await asyncio.wait_for(ws.recv(), 1.0))
                return got

            events = asyncio.run(main())
        # the listen key is drawn at random: it names the stream, nothing else
        return [e.replace(key, "<listenKey>") for e in events]

    def by_stream(events: list[str]) -> dict[str, list[str]]:
        """Each stream's events in order (streams interleave as the wall clock falls)."""
        out: dict[str, list[str]] = {}
        for event in events:
            out.setdefault(orjson.loads(event)["stream"], []).append(event)
        return out

    first, second = by_stream(one_run()), by_stream(one_run())
    assert len(first) == 4 and sum(map(len, first.values())) > 40
    assert first == second
