"""Public market data: ``/api/v3`` ping, time, exchangeInfo, depth, trades, klines, tickers."""

from __future__ import annotations

from typing import Literal, TypeVar, overload

from .. import binance_errors as err
from ..clock import DAY_MS, HOUR_MS, MINUTE_MS
from ..history import INTERVALS, MAX_HISTORY_TIME, parse_interval, parse_time_zone, parse_window
from ..venue import Market, Venue
from . import render
from .endpoint import Ctx, Endpoint, Param, Params, Security

MAX_FROM_ID = 2**47  # the largest fromId accepted (trade, aggregate trade and order ids)
SYMBOL = Param("symbol", required=True)
OPT_SYMBOL = Param("symbol")
SYMBOLS = Param("symbols", doc='JSON array, e.g. ["BTCUSDT","ETHUSDT"]', max_length=16 * 1024)
SYMBOL_STATUSES = frozenset({"TRADING", "HALT", "BREAK"})
TICKER_TYPES = frozenset({"FULL", "MINI"})
_T = TypeVar("_T")


@overload
def symbol_of(ctx: Ctx, required: Literal[True] = True) -> Market: ...
@overload
def symbol_of(ctx: Ctx, required: bool) -> Market | None: ...


def symbol_of(ctx: Ctx, required: bool = True) -> Market | None:
    name = ctx.params.text("symbol", required)
    return None if name is None else ctx.services.venue.market(name)


def symbols_of(ctx: Ctx) -> list[Market] | None:
    """``symbol`` or ``symbols`` (not both); None when neither was sent."""
    p = ctx.params
    one, many = p.text("symbol"), p.json_list("symbols")
    if one is not None and many is not None:
        raise err.BAD_COMBO
    if one is not None:
        return [ctx.services.venue.market(one)]
    if many is None:
        return None
    if len(set(many)) != len(many):
        raise err.DUPLICATE_SYMBOLS
    return [ctx.services.venue.market(s) for s in many]


def time_range(p: Params, max_span: int | None = None) -> tuple[int | None, int | None]:
    start = p.int("startTime", 0, MAX_HISTORY_TIME)
    end = p.int("endTime", 0, MAX_HISTORY_TIME)
    if start is not None and end is not None:
        if start > end:
            raise err.BAD_COMBO
        if max_span is not None and end - start > max_span:
            raise err.window_too_long(max_span // HOUR_MS) if max_span >= HOUR_MS else err.BAD_COMBO
    return start, end


# ---- weights -------------------------------------------------------------------------------------


def _depth_weight(params: dict[str, str]) -> int:
    try:
        limit = int(params.get("limit") or 100)
    except ValueError:
        return 5
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _count_symbols(params: dict[str, str]) -> int | None:
    if params.get("symbol"):
        return 1
    raw = params.get("symbols")
    return None if not raw else raw.count(",") + 1


def _ticker24_weight(params: dict[str, str]) -> int:
    n = _count_symbols(params)
    return 80 if n is None or n > 100 else 2 if n <= 20 else 40


def _price_weight(params: dict[str, str]) -> int:
    return 2 if params.get("symbol") else 4


def _rolling_weight(params: dict[str, str]) -> int:
    return min(4 * (_count_symbols(params) or 1), 200)


# ---- handlers ------------------------------------------------------------------------------------


def ping(ctx: Ctx) -> dict[str, object]:
    return {}


def server_time(ctx: Ctx) -> dict[str, int]:
    return {"serverTime": ctx.now}


def exchange_info(ctx: Ctx) -> dict[str, object]:
    venue = ctx.services.venue
    p = ctx.params
    markets = symbols_of(ctx)
    if markets is None:
        markets = list(venue.markets.values())
    perms = p.text("permissions")
    if perms is not None:
        # json_list answers None only for a parameter not sent: never here
        wanted = set((p.json_list("permissions") or []) if perms.startswith("[") else [perms])
        markets = [m for m in markets if wanted & {"SPOT", "MARGIN" if m.config.margin else "SPOT"}]
    status = p.choice("symbolStatus", SYMBOL_STATUSES)
    infos = [render.symbol_info(m, venue.market_status(m.spec.symbol).name) for m in markets]
    if status is not None:
        infos = [i for i in infos if i["status"] == status]
    if not p.flag("showPermissionSets", True):
        for info in infos:
            info.pop("permissionSets")
    return {
        "timezone": "UTC",
        "serverTime": ctx.now,
        "rateLimits": ctx.services.limiter.rate_limits(),
        "exchangeFilters": [],
        "symbols": infos,
    }


def depth(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    limit = ctx.params.limit(100, 5000)
    update_id, bids, asks = ctx.services.venue.depth(market.spec.symbol, limit)
    spec = market.spec
    return {
        "lastUpdateId": update_id,
        "bids": [[render.px(spec, p), render.qty(spec, q)] for p, q in bids],
        "asks": [[render.px(spec, p), render.qty(spec, q)] for p, q in asks],
    }


def trades(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    limit = ctx.params.int("limit", 1, 1000, default=500)
    with ctx.services.venue.lock:
        rows = market.history.recent(limit)
    return [render.trade(market.spec, t) for t in rows]


def historical_trades(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    p = ctx.params
    limit = p.int("limit", 1, 1000, default=500)
    from_id = p.int("fromId", 0, MAX_FROM_ID)
    with ctx.services.venue.lock:
        rows = market.history.recent(limit) if from_id is None else market.history.from_id(from_id, limit)
    return [render.trade(market.spec, t) for t in rows]


def agg_trades(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    p = ctx.params
    from_id = p.int("fromId", 0, MAX_FROM_ID)
    start, end = time_range(p, HOUR_MS)
    limit = p.limit(500, 1000)
    if from_id is not None and (start is not None or end is not None):
        raise err.BAD_COMBO
    with ctx.services.venue.lock:
        rows = market.history.agg_trades(from_id, start, end, limit)
    return [render.agg_trade(market.spec, a) for a in rows]


def klines(ctx: Ctx) -> list[list[int | str]]:
    market = symbol_of(ctx)
    p = ctx.params
    interval = parse_interval(p.text("interval", required=True))
    start, end = time_range(p)
    tz = p.text("timeZone")
    offset = 0 if tz is None else parse_time_zone(tz)
    limit = p.int("limit", 1, 1000, default=500)
    with ctx.services.venue.lock:
        rows = market.history.klines(interval, start, end, limit, offset, now=ctx.now)
    return [render.kline(market.spec, k) for k in rows]


def avg_price(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    venue = ctx.services.venue
    spec = market.spec
    mins = spec.notional.avg_price_mins
    with venue.lock:
        avg = venue.avg_price(spec.symbol, ctx.now, mins)
        last = market.history.last()
    price = avg if avg is not None else (last.price if last else 0)
    return {"mins": mins, "price": render.px(spec, price), "closeTime": last.time if last else ctx.now}


def _ticker_type(p: Params) -> bool:
    return p.choice("type", TICKER_TYPES, default="FULL") == "FULL"


def _one_or_list(markets_given: bool, items: list[_T]) -> _T | list[_T]:
    return items[0] if markets_given else items


def ticker_24hr(ctx: Ctx) -> object:
    return _window_tickers(ctx, DAY_MS, rolling=False)


def ticker_rolling(ctx: Ctx) -> object:
    text = ctx.params.text("windowSize")
    return _window_tickers(ctx, DAY_MS if text is None else parse_window(text), rolling=True)


def _window_tickers(ctx: Ctx, span: int, rolling: bool) -> object:
    venue = ctx.services.venue
    markets = symbols_of(ctx)
    single = ctx.params.has("symbol")
    if markets is None:
        if rolling:
            raise err.one_of("symbol", "symbols")
        markets = list(venue.markets.values())
    full = _ticker_type(ctx.params)
    now = ctx.now
    start = now - span
    out = []
    with venue.lock:
        for m in markets:
            stats = m.history.window(start, now)
            last = m.history.last()
            open_time = (start // MINUTE_MS * MINUTE_MS) if rolling else start
            book = None if rolling else _top(venue, m.spec.symbol)
            prev = m.history.price_before(start)
            out.append(
                render.window_ticker(
                    m.spec,
                    m.spec.symbol,
                    stats,
                    last.price if last else 0,
                    open_time,
                    now,
                    full,
                    rolling,
                    book,
                    prev or 0,
                )
            )
    return _one_or_list(single, out)


def ticker_price(ctx: Ctx) -> object:
    venue = ctx.services.venue
    markets = symbols_of(ctx)
    single = ctx.params.has("symbol")
    with venue.lock:
        out = []
        for m in markets if markets is not None else venue.markets.values():
            last = m.history.last()
            out.append({"symbol": m.spec.symbol, "price": render.px(m.spec, last.price if last else 0)})
    return _one_or_list(single, out)


def _top(venue: Venue, symbol: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Best bid and best ask as (price, quantity); (0, 0) for an empty side."""
    _, bids, asks = venue.depth(symbol, 1)
    return (bids[0] if bids else (0, 0)), (asks[0] if asks else (0, 0))


def book_ticker(ctx: Ctx) -> object:
    venue = ctx.services.venue
    markets = symbols_of(ctx)
    single = ctx.params.has("symbol")
    out = []
    for m in markets if markets is not None else list(venue.markets.values()):
        bid, ask = _top(venue, m.spec.symbol)
        s = m.spec
        out.append(
            {
                "symbol": s.symbol,
                "bidPrice": render.px(s, bid[0]),
                "bidQty": render.qty(s, bid[1]),
                "askPrice": render.px(s, ask[0]),
                "askQty": render.qty(s, ask[1]),
            }
        )
    return _one_or_list(single, out)


_LIMIT = Param("limit", "integer")
_TIMES = (Param("startTime", "integer"), Param("endTime", "integer"))
_KLINE_PARAMS = (
    SYMBOL,
    Param("interval", required=True, doc="1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M", enum=tuple(INTERVALS)),
    *_TIMES,
    Param("timeZone", doc="hours[:minutes] offset, -12:00 to +14:00"),
    _LIMIT,
)
_TYPE = Param("type", doc="FULL or MINI", enum=tuple(sorted(TICKER_TYPES)))

ENDPOINTS = [
    Endpoint("GET", "/api/v3/ping", ping, summary="Test connectivity"),
    Endpoint("GET", "/api/v3/time", server_time, summary="Server time"),
    Endpoint(
        "GET",
        "/api/v3/exchangeInfo",
        exchange_info,
        weight=20,
        summary="Exchange information",
        params=(
            OPT_SYMBOL,
            SYMBOLS,
            Param("permissions"),
            Param("showPermissionSets", "boolean"),
            Param("symbolStatus", enum=tuple(sorted(SYMBOL_STATUSES))),
        ),
    ),
    Endpoint("GET", "/api/v3/depth", depth, weight=_depth_weight, params=(SYMBOL, _LIMIT), summary="Order book"),
    Endpoint("GET", "/api/v3/trades", trades, weight=25, params=(SYMBOL, _LIMIT), summary="Recent trades"),
    Endpoint(
        "GET",
        "/api/v3/historicalTrades",
        historical_trades,
        security=Security.MARKET_DATA,
        weight=25,
        params=(SYMBOL, _LIMIT, Param("fromId", "integer")),
        summary="Older trades",
    ),
    Endpoint(
        "GET",
        "/api/v3/aggTrades",
        agg_trades,
        weight=4,
        params=(SYMBOL, Param("fromId", "integer"), *_TIMES, _LIMIT),
        summary="Aggregate trades",
    ),
    Endpoint("GET", "/api/v3/klines", klines, weight=2, params=_KLINE_PARAMS, summary="Klines"),
    Endpoint("GET", "/api/v3/uiKlines", klines, weight=2, params=_KLINE_PARAMS, summary="UI klines"),
    Endpoint("GET", "/api/v3/avgPrice", avg_price, weight=2, params=(SYMBOL,), summary="Current average price"),
    Endpoint(
        "GET",
        "/api/v3/ticker/24hr",
        ticker_24hr,
        weight=_ticker24_weight,
        params=(OPT_SYMBOL, SYMBOLS, _TYPE),
        summary="24 hour rolling statistics",
    ),
    Endpoint(
        "GET",
        "/api/v3/ticker/price",
        ticker_price,
        weight=_price_weight,
        params=(OPT_SYMBOL, SYMBOLS),
        summary="Last price",
    ),
    Endpoint(
        "GET",
        "/api/v3/ticker/bookTicker",
        book_ticker,
        weight=_price_weight,
        params=(OPT_SYMBOL, SYMBOLS),
        summary="Best bid and ask",
    ),
    Endpoint(
        "GET",
        "/api/v3/ticker",
        ticker_rolling,
        weight=_rolling_weight,
        params=(OPT_SYMBOL, SYMBOLS, Param("windowSize", doc="1m-59m, 1h-23h, 1d-7d"), _TYPE),
        summary="Rolling window statistics",
    ),
]
