"""Binance's new-order parameters -> an ``OrderRequest``, with Binance's parameter errors.

Which parameters each order type needs and refuses follows Binance's rules; everything about
the market's filters and the account's balance is left to the engine, checked in its order.
"""

from __future__ import annotations

import re

from engine import OrderType, RejectReason, SelfTradePrevention, Side, TimeInForce

from .. import binance_errors as err
from ..faults import pending_fill_cap
from ..orders import OrderRequest
from ..venue import Market
from .endpoint import Param, Params

SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
TYPES = {t.name: t for t in OrderType}
TIFS = {t.name: t for t in TimeInForce}
STP_MODES = {m.name: m for m in SelfTradePrevention}
RESP_TYPES = frozenset({"ACK", "RESULT", "FULL"})
DEFAULT_STP = SelfTradePrevention.EXPIRE_MAKER
CLIENT_ID_RANGE = r"^[a-zA-Z0-9-_]{1,36}$"
_CLIENT_ID = re.compile(CLIENT_ID_RANGE)

# what each type needs (besides symbol, side, type) and may carry
_NEEDS = {
    OrderType.LIMIT: ("timeInForce", "quantity", "price"),
    OrderType.MARKET: (),
    OrderType.LIMIT_MAKER: ("quantity", "price"),
    OrderType.STOP_LOSS: ("quantity", "stopPrice"),
    OrderType.STOP_LOSS_LIMIT: ("timeInForce", "quantity", "price", "stopPrice"),
    OrderType.TAKE_PROFIT: ("quantity", "stopPrice"),
    OrderType.TAKE_PROFIT_LIMIT: ("timeInForce", "quantity", "price", "stopPrice"),
}
_OPTIONAL = ("timeInForce", "quantity", "quoteOrderQty", "price", "stopPrice")

ORDER_PARAMS: tuple[Param, ...] = (
    Param("symbol", required=True),
    Param("side", required=True, doc="BUY or SELL", enum=tuple(SIDES)),
    Param(
        "type",
        required=True,
        doc="LIMIT, MARKET, LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT",
        enum=tuple(TYPES),
    ),
    Param("timeInForce", doc="GTC, IOC or FOK", enum=tuple(TIFS)),
    Param("quantity", "number"),
    Param("quoteOrderQty", "number", doc="MARKET only: spend (BUY) or receive (SELL) this much quote"),
    Param("price", "number"),
    Param("newClientOrderId", doc=CLIENT_ID_RANGE),
    Param("strategyId", "integer"),
    Param("strategyType", "integer"),
    Param("stopPrice", "number", doc="the trigger price of STOP_LOSS / TAKE_PROFIT types"),
    Param("trailingDelta", "integer", doc="not supported here"),
    Param("icebergQty", "number", doc="not supported here (only 0)"),
    Param("newOrderRespType", doc="ACK, RESULT or FULL", enum=tuple(sorted(RESP_TYPES))),
    Param(
        "selfTradePreventionMode", doc="NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH, DECREMENT", enum=tuple(STP_MODES)
    ),
)


def client_id(p: Params, name: str) -> str | None:
    value = p.data.get(name)
    if value is None:
        return None
    if value == "":
        raise err.EMPTY_NEW_CLIENT_ID if name.startswith("new") else err.EMPTY_ORIG_CLIENT_ID
    if _CLIENT_ID.fullmatch(value) is None:  # "$" alone would accept a trailing newline
        raise err.illegal_chars(name, CLIENT_ID_RANGE)
    return value


def order_request(p: Params, market: Market) -> OrderRequest:
    """Read a new order's parameters, refusing what Binance refuses before its matching engine."""
    spec = market.spec
    side = p.choice("side", SIDES, err.INVALID_SIDE, required=True)
    order_type = p.choice("type", TYPES, err.INVALID_TYPE, required=True)
    needs = _NEEDS[order_type]
    allowed: tuple[str, ...]
    for name in needs:
        if not p.has(name):
            raise err.mandatory(name)
    if order_type is OrderType.MARKET:
        if not p.has("quantity") and not p.has("quoteOrderQty"):
            raise err.one_of("quantity", "quoteOrderQty")
        allowed = ("quantity",) if p.has("quantity") else ("quoteOrderQty",)
    else:
        allowed = needs
    for name in _OPTIONAL:
        if name not in allowed and p.has(name):
            raise err.not_required(name)
    if p.has("trailingDelta"):
        raise err.ApiError(400, -2010, "Trailing stop orders are not supported for this symbol.")
    if p.has("icebergQty") and p.units("icebergQty", spec.base.decimals) != 0:
        raise err.ApiError(400, -2010, "Iceberg orders are not supported for this symbol.")
    p.int("strategyId", 0, 2**63 - 1)
    p.int("strategyType", 1_000_000, 2**31 - 1)
    tif = p.choice("timeInForce", TIFS, err.INVALID_TIF, default=TimeInForce.GTC)
    resp = p.choice(
        "newOrderRespType", RESP_TYPES, default="FULL" if order_type in (OrderType.LIMIT, OrderType.MARKET) else "ACK"
    )
    stp = p.choice("selfTradePreventionMode", STP_MODES, default=DEFAULT_STP)
    quantity = p.units("quantity", spec.base.decimals) or 0
    quote_quantity = p.units("quoteOrderQty", spec.quote.decimals) or 0
    return OrderRequest(
        symbol=spec.symbol,
        side=side,
        order_type=order_type,
        time_in_force=tif,
        quantity=quantity,
        price=_positive_price(p, "price", spec.quote.decimals),
        quote_quantity=quote_quantity,
        stop_price=_positive_price(p, "stopPrice", spec.quote.decimals),
        client_order_id=client_id(p, "newClientOrderId"),
        stp=stp,
        resp_type=resp,
        fill_cap=pending_fill_cap(quote_quantity or quantity),  # None unless a partial_fill fault fired
    )


def _positive_price(p: Params, name: str, decimals: int) -> int:
    value = p.units(name, decimals)
    if value == 0:  # a zero price fails the price filter's minimum, as on Binance
        raise err.for_reject(RejectReason.PRICE_FILTER)
    return value or 0
