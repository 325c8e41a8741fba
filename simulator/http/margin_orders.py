"""Binance margin orders (``/sapi/v1/margin/order`` and its queries), cross or isolated.

A margin wallet is an ordinary venue account owned by the caller's spot account (``MarginDesk``),
so these handlers are the spot ones (``spot.py``, ``order_params.py``, ``render.py``) pointed at
that account, plus ``isIsolated`` in every answer. The account is found only through the desk
from the key's owner: spot orders are invisible here, margin orders invisible on ``/api/v3``.

Differences from spot that Binance has and clients see:
* ``isIsolated`` (``TRUE``/``FALSE``, any case; absent = cross) picks the wallet; isolated needs ``symbol``.
* ``sideEffectType`` borrows what the order lacks (MARGIN_BUY, AUTO_BORROW_REPAY) or repays debt
  from what it receives (AUTO_REPAY, AUTO_BORROW_REPAY); a FULL answer names what was borrowed.
* A user who never opened the wallet gets empty lists, -2013 on a query, -2011 on a cancel.
* The single cancel answers ``orderId`` as a string, as Binance's margin API does.
* Trade rows have no ``quoteQty`` nor ``orderListId``.
"""

from __future__ import annotations

from engine import MarketSpec

from .. import binance_errors as err
from ..clock import DAY_MS
from ..margin import SIDE_EFFECTS, MarginPlacement, WalletRef
from ..orders import Fill, OrderRecord
from ..venue import Market
from ..wire import format_units
from . import render
from .endpoint import Ctx, Endpoint, Param, Security
from .market import MAX_FROM_ID, SYMBOL, symbol_of, time_range
from .order_params import CLIENT_ID_RANGE, ORDER_PARAMS, client_id, order_request
from .spot import order_id_of, placement_response

IS_ISOLATED = Param(
    "isIsolated", doc='"TRUE" for the isolated wallet of symbol; default "FALSE" (cross)', enum=("TRUE", "FALSE")
)
SIDE_EFFECT = Param(
    "sideEffectType", doc="NO_SIDE_EFFECT (default), MARGIN_BUY, AUTO_REPAY, AUTO_BORROW_REPAY", enum=SIDE_EFFECTS
)
AUTO_REPAY_AT_CANCEL = Param(
    "autoRepayAtCancel",
    "boolean",
    doc="MARGIN_BUY / AUTO_BORROW_REPAY: repay the order's loan if it is canceled; default true",
)
ORDER_ID = Param("orderId", "integer")
ORIG_CLIENT_ID = Param("origClientOrderId")
NEW_CLIENT_ID = Param("newClientOrderId", doc=CLIENT_ID_RANGE)
_SIDE_EFFECTS = frozenset(SIDE_EFFECTS)
_TIMES = (Param("startTime", "integer"), Param("endTime", "integer"))
_LIMIT = Param("limit", "integer")
MAX_ID = 2**63 - 1


# ---- which wallet ----------------------------------------------------------------------------------


def _is_isolated(ctx: Ctx) -> bool:
    """Binance documents "TRUE"/"FALSE" and ccxt sends "true": both are read, any case."""
    return ctx.params.flag("isIsolated")


def _wallet(ctx: Ctx, market: Market | None) -> tuple[WalletRef, bool]:
    """The wallet the request names (-1102 isolated without symbol, -3028 not a margin pair)."""
    isolated = _is_isolated(ctx)
    ref = ctx.services.margin.margin_wallet(ctx.account, isolated, market.spec.symbol if market else None)
    return ref, isolated


def _account(ctx: Ctx, ref: WalletRef) -> int | None:
    """The wallet's venue account, or None if the caller never opened it (nothing to show)."""
    return ctx.services.margin.wallet_of(ctx.account, ref)


# ---- rendering: spot's JSON plus the margin fields ---------------------------------------------------


def _placed(ctx: Ctx, mp: MarginPlacement, resp_type: str, isolated: bool) -> dict[str, object]:
    """Spot's ACK/RESULT/FULL answer plus ``isIsolated``; FULL also names what was borrowed."""
    out = placement_response(ctx, mp.placement, resp_type)
    out["isIsolated"] = isolated
    if resp_type == "FULL":
        fills = out.pop("fills")
        if mp.borrowed:
            decimals = ctx.services.venue.assets[mp.borrowed_asset].decimals
            out["marginBuyBorrowAmount"] = format_units(mp.borrowed, decimals)
            out["marginBuyBorrowAsset"] = mp.borrowed_asset
        out["fills"] = fills
    return out


def _query_row(spec: MarketSpec, rec: OrderRecord, isolated: bool) -> dict[str, object]:
    return render.order_query(spec, rec) | {"isIsolated": isolated}


def _canceled_row(spec: MarketSpec, rec: OrderRecord, cancel_id: str, now: int, isolated: bool) -> dict[str, object]:
    return render.order_canceled(spec, rec, cancel_id, now) | {"isIsolated": isolated}


def _trade_row(spec: MarketSpec, fill: Fill, isolated: bool) -> dict[str, object]:
    row = render.my_trade(spec, fill)
    del row["quoteQty"], row["orderListId"]
    row["isIsolated"] = isolated
    return row


# ---- handlers ----------------------------------------------------------------------------------------


def new_order(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    p = ctx.params
    req = order_request(p, market)
    side_effect = p.choice("sideEffectType", _SIDE_EFFECTS, default="NO_SIDE_EFFECT")
    repay_at_cancel = p.flag("autoRepayAtCancel", default=True)
    ref, isolated = _wallet(ctx, market)
    placed = ctx.services.margin.place(ctx.account, ref, req, side_effect, repay_at_cancel)
    return _placed(ctx, placed, req.resp_type, isolated)


def query_order(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    ref, isolated = _wallet(ctx, market)
    oid, cid = order_id_of(ctx)
    account = _account(ctx, ref)
    if account is None:
        raise err.NO_SUCH_ORDER
    rec = ctx.services.venue.order(account, market.spec.symbol, oid, cid)
    return _query_row(market.spec, rec, isolated)


def cancel_order(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    ref, isolated = _wallet(ctx, market)
    oid, cid = order_id_of(ctx)
    cancel_id = client_id(ctx.params, "newClientOrderId")
    account = _account(ctx, ref)
    if account is None:
        raise err.UNKNOWN_ORDER_CANCEL
    venue = ctx.services.venue
    rec = venue.cancel(account, market.spec.symbol, oid, cid)
    ctx.services.margin.settle_auto_repay(venue.now())  # autoRepayAtCancel
    row = _canceled_row(market.spec, rec, cancel_id or venue.reply_client_id(), venue.now(), isolated)
    row["orderId"] = str(rec.order_id)  # Binance's margin cancel answers the id as a string
    return row


def cancel_open_orders(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    ref, isolated = _wallet(ctx, market)
    account = _account(ctx, ref)
    if account is None:
        raise err.UNKNOWN_ORDER_CANCEL
    venue = ctx.services.venue
    recs = venue.cancel_all(account, market.spec.symbol)
    now = venue.now()
    ctx.services.margin.settle_auto_repay(now)  # autoRepayAtCancel
    return [_canceled_row(market.spec, r, venue.reply_client_id(), now, isolated) for r in recs]


def open_orders(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx, required=False)
    ref, isolated = _wallet(ctx, market)
    account = _account(ctx, ref)
    if account is None:
        return []
    venue = ctx.services.venue
    recs = venue.open_orders(account, market.spec.symbol if market else None)
    return [_query_row(venue.markets[r.symbol].spec, r, isolated) for r in recs]


def all_orders(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    ref, isolated = _wallet(ctx, market)
    p = ctx.params
    oid = p.int("orderId", 0, MAX_ID)
    start, end = time_range(p, DAY_MS)
    limit = p.int("limit", 1, 500, default=500)
    account = _account(ctx, ref)
    if account is None:
        return []
    recs = ctx.services.venue.all_orders(account, market.spec.symbol, oid, start, end, limit)
    return [_query_row(market.spec, r, isolated) for r in recs]


def my_trades(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    ref, isolated = _wallet(ctx, market)
    p = ctx.params
    oid = p.int("orderId", 0, MAX_ID)
    from_id = p.int("fromId", 0, MAX_FROM_ID)
    start, end = time_range(p, DAY_MS)
    if from_id is not None and (start is not None or end is not None):
        raise err.BAD_COMBO
    limit = p.int("limit", 1, 1000, default=500)
    account = _account(ctx, ref)
    if account is None:
        return []
    fills = ctx.services.venue.my_trades(account, market.spec.symbol, oid, start, end, from_id, limit)
    return [_trade_row(market.spec, f, isolated) for f in fills]


# Binance's weights: POST 6 (UID), GET/DELETE order 10, DELETE openOrders 1, openOrders 10,
# allOrders 200, myTrades 10 (IP).
ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "POST",
        "/sapi/v1/margin/order",
        new_order,
        Security.MARGIN,
        6,
        (*ORDER_PARAMS, IS_ISOLATED, SIDE_EFFECT, AUTO_REPAY_AT_CANCEL),
        "Margin account new order",
        places_order=True,
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/order",
        query_order,
        Security.USER_DATA,
        10,
        (SYMBOL, IS_ISOLATED, ORDER_ID, ORIG_CLIENT_ID),
        "Query margin account's order",
    ),
    Endpoint(
        "DELETE",
        "/sapi/v1/margin/order",
        cancel_order,
        Security.MARGIN,
        10,
        (SYMBOL, IS_ISOLATED, ORDER_ID, ORIG_CLIENT_ID, NEW_CLIENT_ID),
        "Margin account cancel order",
    ),
    Endpoint(
        "DELETE",
        "/sapi/v1/margin/openOrders",
        cancel_open_orders,
        Security.MARGIN,
        1,
        (SYMBOL, IS_ISOLATED),
        "Margin account cancel all open orders on a symbol",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/openOrders",
        open_orders,
        Security.USER_DATA,
        10,
        (Param("symbol", doc="required with isIsolated=TRUE"), IS_ISOLATED),
        "Query margin account's open orders",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/allOrders",
        all_orders,
        Security.USER_DATA,
        200,
        (SYMBOL, IS_ISOLATED, ORDER_ID, *_TIMES, _LIMIT),
        "Query margin account's all orders",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/myTrades",
        my_trades,
        Security.USER_DATA,
        10,
        (SYMBOL, IS_ISOLATED, ORDER_ID, *_TIMES, Param("fromId", "integer"), _LIMIT),
        "Query margin account's trade list",
    ),
]
