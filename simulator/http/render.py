"""Engine and venue objects -> Binance's JSON, field for field (numbers as exact decimal text)."""

from __future__ import annotations

from engine import MarketSpec, OrderType

from ..history import Trade, WindowStats
from ..market_data import AggTrade, Kline
from ..orders import Fill, OrderRecord
from ..venue import Market
from ..wire import format_units

ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
STP_MODES = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"]
_STOP_TYPES = frozenset(
    {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
)


def px(spec: MarketSpec, value: int) -> str:
    return format_units(value, spec.quote.decimals)


def qty(spec: MarketSpec, value: int) -> str:
    return format_units(value, spec.base.decimals)


def short(value: int, decimals: int = 8) -> str:
    """A multiplier as Binance prints them: ``"5"``, ``"0.2"``."""
    text = format_units(value, decimals)
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- orders --------------------------------------------------------------------------------------


def order_ack(rec: OrderRecord, transact_time: int) -> dict[str, object]:
    return {
        "symbol": rec.symbol,
        "orderId": rec.order_id,
        "orderListId": -1,
        "clientOrderId": rec.client_order_id,
        "transactTime": transact_time,
    }


def order_result(spec: MarketSpec, rec: OrderRecord, transact_time: int) -> dict[str, object]:
    out = order_ack(rec, transact_time)
    out.update(_state(spec, rec))
    out["workingTime"] = rec.working_time
    out["selfTradePreventionMode"] = rec.stp.name
    return out


def order_full(spec: MarketSpec, rec: OrderRecord, transact_time: int, fills: list[Fill]) -> dict[str, object]:
    out = order_result(spec, rec, transact_time)
    out["fills"] = [
        {
            "price": px(spec, f.price),
            "qty": qty(spec, f.qty),
            "commission": format_units(f.commission, 8),
            "commissionAsset": f.commission_asset,
            "tradeId": f.trade_id,
        }
        for f in fills
    ]
    return out


def _state(spec: MarketSpec, rec: OrderRecord) -> dict[str, str]:
    out = {
        "price": px(spec, rec.price),
        "origQty": qty(spec, rec.orig_qty),
        "executedQty": qty(spec, rec.executed_qty),
        "origQuoteOrderQty": px(spec, rec.orig_quote_qty),
        "cummulativeQuoteQty": px(spec, rec.cummulative_quote_qty),
        "status": rec.status,
        "timeInForce": rec.time_in_force.name,
        "type": rec.order_type.name,
        "side": rec.side.name,
    }
    if rec.order_type in _STOP_TYPES:
        out["stopPrice"] = px(spec, rec.stop_price)
    return out


def order_query(spec: MarketSpec, rec: OrderRecord) -> dict[str, object]:
    out: dict[str, object] = {
        "symbol": rec.symbol,
        "orderId": rec.order_id,
        "orderListId": -1,
        "clientOrderId": rec.client_order_id,
    }
    out.update(_state(spec, rec))
    out["stopPrice"] = px(spec, rec.stop_price)
    out["icebergQty"] = qty(spec, 0)
    out["time"] = rec.time
    out["updateTime"] = rec.update_time
    out["isWorking"] = rec.working_time != -1
    out["workingTime"] = rec.working_time
    out["selfTradePreventionMode"] = rec.stp.name
    if rec.prevented_qty:
        out["preventedQuantity"] = qty(spec, rec.prevented_qty)
    return out


def order_canceled(spec: MarketSpec, rec: OrderRecord, cancel_client_id: str, transact_time: int) -> dict[str, object]:
    """Binance's cancel answer: ``clientOrderId`` is the cancel request's id, the order's is ``origClientOrderId``."""
    out: dict[str, object] = {
        "symbol": rec.symbol,
        "origClientOrderId": rec.client_order_id,
        "orderId": rec.order_id,
        "orderListId": -1,
        "clientOrderId": cancel_client_id,
        "transactTime": transact_time,
    }
    out.update(_state(spec, rec))
    out["selfTradePreventionMode"] = rec.stp.name
    return out


def order_amended(
    spec: MarketSpec, rec: OrderRecord, old_client_id: str, transact_time: int, execution_id: int
) -> dict[str, object]:
    return {
        "transactTime": transact_time,
        "executionId": execution_id,
        "amendedOrder": {
            "symbol": rec.symbol,
            "orderId": rec.order_id,
            "orderListId": -1,
            "origClientOrderId": old_client_id,
            "clientOrderId": rec.client_order_id,
            "price": px(spec, rec.price),
            "qty": qty(spec, rec.orig_qty),
            "executedQty": qty(spec, rec.executed_qty),
            "preventedQty": qty(spec, rec.prevented_qty),
            "quoteOrderQty": px(spec, rec.orig_quote_qty),
            "cumulativeQuoteQty": px(spec, rec.cummulative_quote_qty),
            "status": rec.status,
            "timeInForce": rec.time_in_force.name,
            "type": rec.order_type.name,
            "side": rec.side.name,
            "workingTime": rec.working_time,
            "selfTradePreventionMode": rec.stp.name,
        },
    }


def my_trade(spec: MarketSpec, f: Fill) -> dict[str, object]:
    return {
        "symbol": f.symbol,
        "id": f.trade_id,
        "orderId": f.order_id,
        "orderListId": -1,
        "price": px(spec, f.price),
        "qty": qty(spec, f.qty),
        "quoteQty": px(spec, f.quote_qty),
        "commission": format_units(f.commission, 8),
        "commissionAsset": f.commission_asset,
        "time": f.time,
        "isBuyer": f.is_buyer,
        "isMaker": f.is_maker,
        "isBestMatch": True,
    }


# ---- market data ---------------------------------------------------------------------------------


def trade(spec: MarketSpec, t: Trade) -> dict[str, object]:
    return {
        "id": t.id,
        "price": px(spec, t.price),
        "qty": qty(spec, t.qty),
        "quoteQty": px(spec, t.quote_qty),
        "time": t.time,
        "isBuyerMaker": t.buyer_is_maker,
        "isBestMatch": True,
    }


def agg_trade(spec: MarketSpec, a: AggTrade) -> dict[str, object]:
    return {
        "a": a.id,
        "p": px(spec, a.price),
        "q": qty(spec, a.qty),
        "f": a.first_trade_id,
        "l": a.last_trade_id,
        "T": a.time,
        "m": a.buyer_is_maker,
        "M": a.best_match,
    }


def kline(spec: MarketSpec, k: Kline) -> list[int | str]:
    return [
        k.open_time,
        px(spec, k.open),
        px(spec, k.high),
        px(spec, k.low),
        px(spec, k.close),
        qty(spec, k.volume),
        k.close_time,
        px(spec, k.quote_volume),
        k.count,
        qty(spec, k.taker_buy_volume),
        px(spec, k.taker_buy_quote_volume),
        "0",
    ]


def percent_change(open_: int, last: int) -> str:
    """(last - open) / open in percent with 3 decimals, rounded toward zero, as Binance shows it."""
    if open_ == 0:
        return "0.000"
    thousandths = abs(last - open_) * 100_000 // open_
    sign = "-" if last < open_ and thousandths else ""
    return f"{sign}{thousandths // 1000}.{thousandths % 1000:03d}"


def window_ticker(
    spec: MarketSpec,
    symbol: str,
    stats: WindowStats | None,
    last_price: int,
    open_time: int,
    close_time: int,
    full: bool,
    rolling: bool = False,
    book: tuple[tuple[int, int], tuple[int, int]] | None = None,
    prev_close: int = 0,
) -> dict[str, object]:
    """``ticker/24hr`` and ``ticker`` statistics; a window without trades shows zeros."""
    if stats is None:
        open_ = high = low = volume = quote_volume = 0
        first_id = last_id = -1
        count = 0
        weighted = 0
        last = last_price
    else:
        open_, high, low, last = stats.open, stats.high, stats.low, stats.close
        volume, quote_volume = stats.volume, stats.quote_volume
        first_id, last_id, count = stats.first_id, stats.last_id, stats.count
        weighted = stats.weighted_avg_price(spec.base.decimals)
    out: dict[str, object] = {"symbol": symbol}
    if full:
        out["priceChange"] = px(spec, last - open_ if stats else 0)
        out["priceChangePercent"] = percent_change(open_, last)
        out["weightedAvgPrice"] = px(spec, weighted)
        if not rolling:
            out["prevClosePrice"] = px(spec, prev_close)  # the last price before the window opened
            out["lastPrice"] = px(spec, last)
            out["lastQty"] = qty(spec, stats.last_qty if stats else 0)
            (bid, bid_qty), (ask, ask_qty) = book or ((0, 0), (0, 0))
            out["bidPrice"], out["bidQty"] = px(spec, bid), qty(spec, bid_qty)
            out["askPrice"], out["askQty"] = px(spec, ask), qty(spec, ask_qty)
    out["openPrice"] = px(spec, open_)
    out["highPrice"] = px(spec, high)
    out["lowPrice"] = px(spec, low)
    out["lastPrice"] = px(spec, last)
    out["volume"] = qty(spec, volume)
    out["quoteVolume"] = px(spec, quote_volume)
    out["openTime"] = open_time
    out["closeTime"] = close_time
    out["firstId"] = first_id
    out["lastId"] = last_id
    out["count"] = count
    return out


# ---- exchangeInfo --------------------------------------------------------------------------------


def symbol_info(market: Market, status: str) -> dict[str, object]:
    spec, mc = market.spec, market.config
    pf, ls, mls, n, pp = spec.price_filter, spec.lot_size, spec.market_lot_size, spec.notional, spec.percent_price
    filters: list[dict[str, object]] = [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": px(spec, pf.min_price),
            "maxPrice": px(spec, pf.max_price),
            "tickSize": px(spec, pf.tick_size),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": qty(spec, ls.min_qty),
            "maxQty": qty(spec, ls.max_qty),
            "stepSize": qty(spec, ls.step_size),
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": qty(spec, mls.min_qty),
            "maxQty": qty(spec, mls.max_qty),
            "stepSize": qty(spec, mls.step_size),
        },
    ]
    if pp is not None:
        filters.append(
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": short(pp.bid_multiplier_up),
                "bidMultiplierDown": short(pp.bid_multiplier_down),
                "askMultiplierUp": short(pp.ask_multiplier_up),
                "askMultiplierDown": short(pp.ask_multiplier_down),
                "avgPriceMins": pp.avg_price_mins,
            }
        )
    filters += [
        {
            "filterType": "NOTIONAL",
            "minNotional": px(spec, n.min_notional),
            "applyMinToMarket": n.apply_min_to_market,
            "maxNotional": px(spec, n.max_notional),
            "applyMaxToMarket": n.apply_max_to_market,
            "avgPriceMins": n.avg_price_mins,
        },
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": spec.max_num_orders},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": spec.max_num_algo_orders},
    ]
    allowed = {t.name for t in spec.order_types}
    return {
        "symbol": spec.symbol,
        "status": status,
        "baseAsset": spec.base.code,
        "baseAssetPrecision": spec.base.decimals,
        "quoteAsset": spec.quote.code,
        "quotePrecision": spec.quote.decimals,
        "quoteAssetPrecision": spec.quote.decimals,
        "baseCommissionPrecision": spec.base.decimals,
        "quoteCommissionPrecision": spec.quote.decimals,
        "orderTypes": [t for t in ORDER_TYPES if t in allowed],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": mc.margin,
        "filters": filters,
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"] if mc.margin else ["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": STP_MODES,
    }
