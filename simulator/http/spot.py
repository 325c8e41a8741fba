"""Private spot endpoints: account, orders (new, test, query, cancel, replace, amend), trades."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from engine import RATE_DENOM

from .. import binance_errors as err
from ..binance_errors import ApiError
from ..clock import DAY_MS
from ..orders import Placement
from ..refusals import Refused
from ..wire import format_units
from . import render
from .endpoint import Ctx, Endpoint, Param, Security
from .market import MAX_FROM_ID, SYMBOL, symbol_of, time_range
from .order_params import CLIENT_ID_RANGE, ORDER_PARAMS, client_id, order_request

ORDER_ID = Param("orderId", "integer")
ORIG_CLIENT_ID = Param("origClientOrderId")
NEW_CLIENT_ID = Param("newClientOrderId", doc=CLIENT_ID_RANGE)
RESTRICTIONS = frozenset({"ONLY_NEW", "ONLY_PARTIALLY_FILLED"})
CANCEL_RESTRICTIONS = Param(
    "cancelRestrictions", doc="ONLY_NEW or ONLY_PARTIALLY_FILLED", enum=tuple(sorted(RESTRICTIONS))
)
CANCEL_REPLACE_MODES = frozenset({"STOP_ON_FAILURE", "ALLOW_FAILURE"})
RATE_LIMIT_MODES = frozenset({"DO_NOTHING", "CANCEL_ONLY"})
_execution_ids = itertools.count(1)


def _rate(rate: int) -> str:
    return format_units(rate, 8)


def _rates(maker: int = 0, taker: int = 0, *, buyer_seller: bool = True) -> dict[str, str]:
    out = {"maker": _rate(maker), "taker": _rate(taker)}
    if buyer_seller:
        out |= {"buyer": _rate(0), "seller": _rate(0)}
    return out


NO_DISCOUNT = {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB", "discount": _rate(0)}


def order_id_of(
    ctx: Ctx, id_name: str = "orderId", client_name: str = "origClientOrderId"
) -> tuple[int | None, str | None]:
    oid = ctx.params.int(id_name, 0, 2**63 - 1)
    cid = client_id(ctx.params, client_name)
    if oid is None and cid is None:
        raise err.one_of(id_name, client_name)
    return oid, cid


def _restriction(ctx: Ctx, name: str = "cancelRestrictions") -> str | None:
    return ctx.params.choice(name, RESTRICTIONS, err.INVALID_CANCEL_RESTRICTIONS)


def placement_response(ctx: Ctx, placed: Placement, resp_type: str) -> dict[str, object]:
    spec = ctx.services.venue.markets[placed.order.symbol].spec
    if resp_type == "ACK":
        return render.order_ack(placed.order, placed.transact_time)
    if resp_type == "RESULT":
        return render.order_result(spec, placed.order, placed.transact_time)
    return render.order_full(spec, placed.order, placed.transact_time, placed.fills)


# ---- account -------------------------------------------------------------------------------------


def account(ctx: Ctx) -> dict[str, object]:
    venue = ctx.services.venue
    balances, updated = venue.balances(ctx.account)
    maker, taker = venue.fee_rates(ctx.account)
    omit = ctx.params.flag("omitZeroBalances")
    rows = [
        {
            "asset": code,
            "free": format_units(b.free, venue.assets[code].decimals),
            "locked": format_units(b.locked, venue.assets[code].decimals),
        }
        for code, b in balances.items()
        if not (omit and b.free == 0 and b.locked == 0)
    ]
    assert ctx.key is not None  # USER_DATA: the pipeline has authenticated it
    can_trade = "SPOT" in ctx.key.permissions
    return {
        "makerCommission": maker * 10_000 // RATE_DENOM,
        "takerCommission": taker * 10_000 // RATE_DENOM,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": _rates(maker, taker),
        "canTrade": can_trade,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": updated,
        "accountType": "SPOT",
        "balances": rows,
        "permissions": ["SPOT"] + (["MARGIN"] if "MARGIN" in venue.permissions(ctx.account) else []),
        "uid": ctx.account,
    }


def commission(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    maker, taker = ctx.services.venue.fee_rates(ctx.account)
    return {
        "symbol": market.spec.symbol,
        "standardCommission": _rates(maker, taker),
        "specialCommission": _rates(),
        "taxCommission": _rates(),
        "discount": dict(NO_DISCOUNT),
    }


def rate_limit_order(ctx: Ctx) -> Sequence[Mapping[str, object]]:
    return ctx.services.limiter.order_usage(ctx.account)


# ---- orders ----------------------------------------------------------------------------------------


def new_order(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    req = order_request(ctx.params, market)
    return placement_response(ctx, ctx.services.venue.place(ctx.account, req), req.resp_type)


def test_order(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    req = order_request(ctx.params, market)
    rates = ctx.params.flag("computeCommissionRates")
    ctx.services.venue.test_order(ctx.account, req)
    if not rates:
        return {}
    maker, taker = ctx.services.venue.fee_rates(ctx.account)
    return {
        "standardCommissionForOrder": _rates(maker, taker, buyer_seller=False),
        "specialCommissionForOrder": _rates(buyer_seller=False),
        "taxCommissionForOrder": _rates(buyer_seller=False),
        "discount": dict(NO_DISCOUNT),
    }


def query_order(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    oid, cid = order_id_of(ctx)
    return render.order_query(market.spec, ctx.services.venue.order(ctx.account, market.spec.symbol, oid, cid))


def cancel_order(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    oid, cid = order_id_of(ctx)
    cancel_id = client_id(ctx.params, "newClientOrderId")
    restriction = _restriction(ctx)
    venue = ctx.services.venue
    rec = venue.cancel(ctx.account, market.spec.symbol, oid, cid, restriction)
    return render.order_canceled(market.spec, rec, cancel_id or venue.reply_client_id(), venue.now())


def open_orders(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx, required=False)
    venue = ctx.services.venue
    recs = venue.open_orders(ctx.account, market.spec.symbol if market else None)
    return [render.order_query(venue.markets[r.symbol].spec, r) for r in recs]


def cancel_open_orders(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    venue = ctx.services.venue
    recs = venue.cancel_all(ctx.account, market.spec.symbol)
    now = venue.now()
    return [render.order_canceled(market.spec, r, venue.reply_client_id(), now) for r in recs]


def all_orders(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    p = ctx.params
    oid = p.int("orderId", 0, 2**63 - 1)
    start, end = time_range(p, DAY_MS)
    limit = p.int("limit", 1, 1000, default=500)
    recs = ctx.services.venue.all_orders(ctx.account, market.spec.symbol, oid, start, end, limit)
    return [render.order_query(market.spec, r) for r in recs]


def my_trades(ctx: Ctx) -> list[dict[str, object]]:
    market = symbol_of(ctx)
    p = ctx.params
    oid = p.int("orderId", 0, 2**63 - 1)
    from_id = p.int("fromId", 0, MAX_FROM_ID)
    start, end = time_range(p, DAY_MS)
    if from_id is not None and (start is not None or end is not None):
        raise err.BAD_COMBO
    limit = p.int("limit", 1, 1000, default=500)
    fills = ctx.services.venue.my_trades(ctx.account, market.spec.symbol, oid, start, end, from_id, limit)
    return [render.my_trade(market.spec, f) for f in fills]


def cancel_replace(ctx: Ctx) -> object:
    """Cancel one order and place another, atomically for other clients; Binance's partial results."""
    market = symbol_of(ctx)
    p = ctx.params
    mode = p.choice("cancelReplaceMode", CANCEL_REPLACE_MODES, required=True)
    req = order_request(p, market)
    oid, cid = order_id_of(ctx, "cancelOrderId", "cancelOrigClientOrderId")
    cancel_id = client_id(p, "cancelNewClientOrderId")
    restriction = _restriction(ctx)
    p.choice("orderRateLimitExceededMode", RATE_LIMIT_MODES)
    venue = ctx.services.venue
    spec = market.spec
    with venue.lock:
        cancel_result: dict[str, object]
        try:
            rec = venue.cancel(ctx.account, spec.symbol, oid, cid, restriction)
            cancel_ok, cancel_result = (
                True,
                render.order_canceled(spec, rec, cancel_id or venue.reply_client_id(), venue.now()),
            )
        except (ApiError, Refused) as e:
            cancel_ok, cancel_result = False, err.as_api_error(e).body()
        if not cancel_ok and mode == "STOP_ON_FAILURE":
            raise ApiError(
                400,
                -2022,
                "Order cancel-replace failed.",
                data={
                    "cancelResult": "FAILURE",
                    "newOrderResult": "NOT_ATTEMPTED",
                    "cancelResponse": cancel_result,
                    "newOrderResponse": None,
                },
            )
        try:
            placed = venue.place(ctx.account, req)
            new_ok, new_result = True, placement_response(ctx, placed, req.resp_type)
        except (ApiError, Refused) as e:
            new_ok, new_result = False, err.as_api_error(e).body()
    data = {
        "cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
        "newOrderResult": "SUCCESS" if new_ok else "FAILURE",
        "cancelResponse": cancel_result,
        "newOrderResponse": new_result,
    }
    if cancel_ok and new_ok:
        return data
    if cancel_ok or new_ok:
        raise ApiError(409, -2021, "Order cancel-replace partially failed.", data=data)
    raise ApiError(400, -2022, "Order cancel-replace failed.", data=data)


def amend_keep_priority(ctx: Ctx) -> dict[str, object]:
    market = symbol_of(ctx)
    oid, cid = order_id_of(ctx)
    new_cid = client_id(ctx.params, "newClientOrderId")
    new_qty = ctx.params.units("newQty", market.spec.base.decimals, required=True)
    venue = ctx.services.venue
    rec, old_cid = venue.amend(ctx.account, market.spec.symbol, oid, cid, new_qty, new_cid)
    return render.order_amended(market.spec, rec, old_cid, venue.now(), next(_execution_ids))


def _open_weight(params: dict[str, str]) -> int:
    return 6 if params.get("symbol") else 80


def _trades_weight(params: dict[str, str]) -> int:
    return 5 if params.get("orderId") else 20


def _test_weight(params: dict[str, str]) -> int:
    return 20 if params.get("computeCommissionRates") == "true" else 1


_TIMES = (Param("startTime", "integer"), Param("endTime", "integer"))
_LIMIT = Param("limit", "integer")
_CANCEL_REPLACE_PARAMS = (
    *ORDER_PARAMS,
    Param(
        "cancelReplaceMode",
        required=True,
        doc="STOP_ON_FAILURE or ALLOW_FAILURE",
        enum=tuple(sorted(CANCEL_REPLACE_MODES)),
    ),
    Param("cancelNewClientOrderId"),
    Param("cancelOrigClientOrderId"),
    Param("cancelOrderId", "integer"),
    CANCEL_RESTRICTIONS,
    Param("orderRateLimitExceededMode", doc="DO_NOTHING or CANCEL_ONLY", enum=tuple(sorted(RATE_LIMIT_MODES))),
)

ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/v3/account",
        account,
        Security.USER_DATA,
        20,
        (Param("omitZeroBalances", "boolean"),),
        "Account information",
    ),
    Endpoint("GET", "/api/v3/account/commission", commission, Security.USER_DATA, 20, (SYMBOL,), "Commission rates"),
    Endpoint("GET", "/api/v3/rateLimit/order", rate_limit_order, Security.USER_DATA, 40, (), "Order rate limit usage"),
    Endpoint("POST", "/api/v3/order", new_order, Security.TRADE, 1, ORDER_PARAMS, "New order", places_order=True),
    Endpoint(
        "POST",
        "/api/v3/order/test",
        test_order,
        Security.TRADE,
        _test_weight,
        (*ORDER_PARAMS, Param("computeCommissionRates", "boolean")),
        "Test new order",
    ),
    Endpoint(
        "GET", "/api/v3/order", query_order, Security.USER_DATA, 4, (SYMBOL, ORDER_ID, ORIG_CLIENT_ID), "Query order"
    ),
    Endpoint(
        "DELETE",
        "/api/v3/order",
        cancel_order,
        Security.TRADE,
        1,
        (SYMBOL, ORDER_ID, ORIG_CLIENT_ID, NEW_CLIENT_ID, CANCEL_RESTRICTIONS),
        "Cancel order",
    ),
    Endpoint(
        "GET",
        "/api/v3/openOrders",
        open_orders,
        Security.USER_DATA,
        _open_weight,
        (Param("symbol"),),
        "Current open orders",
    ),
    Endpoint(
        "DELETE",
        "/api/v3/openOrders",
        cancel_open_orders,
        Security.TRADE,
        1,
        (SYMBOL,),
        "Cancel all open orders of a symbol",
    ),
    Endpoint(
        "GET",
        "/api/v3/allOrders",
        all_orders,
        Security.USER_DATA,
        20,
        (SYMBOL, ORDER_ID, *_TIMES, _LIMIT),
        "All orders",
    ),
    Endpoint(
        "GET",
        "/api/v3/myTrades",
        my_trades,
        Security.USER_DATA,
        _trades_weight,
        (SYMBOL, ORDER_ID, *_TIMES, Param("fromId", "integer"), _LIMIT),
        "Account trade list",
    ),
    Endpoint(
        "POST",
        "/api/v3/order/cancelReplace",
        cancel_replace,
        Security.TRADE,
        1,
        _CANCEL_REPLACE_PARAMS,
        "Cancel an existing order and send a new one",
        places_order=True,
    ),
    Endpoint(
        "PUT",
        "/api/v3/order/amend/keepPriority",
        amend_keep_priority,
        Security.TRADE,
        4,
        (SYMBOL, ORDER_ID, ORIG_CLIENT_ID, NEW_CLIENT_ID, Param("newQty", "number", required=True)),
        "Reduce an order's quantity keeping its priority",
    ),
]
