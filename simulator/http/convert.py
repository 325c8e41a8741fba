"""Binance Convert (``/sapi/v1/convert/...``): pairs, asset precision, quotes, conversions, history."""

from __future__ import annotations

from typing import Literal, overload

from .. import binance_errors as err
from ..clock import DAY_MS, MAX_TIME
from ..convert import DEFAULT_VALID_TIME, VALID_TIMES, ConvertDesk, ConvertOrder, Quote
from ..refusals import Refusal, Refused
from ..wire import format_units
from .endpoint import Ctx, Endpoint, Param, Security

THIRTY_DAYS_MS = 30 * DAY_MS


def _desk(ctx: Ctx) -> ConvertDesk:
    return ctx.services.convert


def _units(ctx: Ctx, asset: str, amount: int) -> str:
    return format_units(amount, ctx.services.venue.assets[asset].decimals)


@overload
def _asset(ctx: Ctx, name: str, required: Literal[True]) -> str: ...
@overload
def _asset(ctx: Ctx, name: str, required: bool = False) -> str | None: ...


def _asset(ctx: Ctx, name: str, required: bool = False) -> str | None:
    code = ctx.params.text(name, required)
    if code is not None and code not in ctx.services.venue.assets:
        raise Refused(Refusal.UNKNOWN_ASSET, code)
    return code


def exchange_info(ctx: Ctx) -> list[dict[str, str]]:
    desk = _desk(ctx)
    want_from, want_to = _asset(ctx, "fromAsset"), _asset(ctx, "toAsset")
    out = []
    for a, b in desk.pairs():
        if (want_from is None or a == want_from) and (want_to is None or b == want_to):
            out.append(
                {
                    "fromAsset": a,
                    "toAsset": b,
                    "fromAssetMinAmount": _units(ctx, a, 1),
                    "fromAssetMaxAmount": _units(ctx, a, desk.max_units(a)),
                    "toAssetMinAmount": _units(ctx, b, 1),
                    "toAssetMaxAmount": _units(ctx, b, desk.max_units(b)),
                }
            )
    return out


def asset_info(ctx: Ctx) -> list[dict[str, object]]:
    return [{"asset": code, "fraction": spec.decimals} for code, spec in ctx.services.venue.assets.items()]


def get_quote(ctx: Ctx) -> dict[str, object]:
    p = ctx.params
    from_asset, to_asset = _asset(ctx, "fromAsset", True), _asset(ctx, "toAsset", True)
    if p.has("fromAmount") and p.has("toAmount"):
        raise err.BAD_COMBO
    assets = ctx.services.venue.assets
    from_amount = p.units("fromAmount", assets[from_asset].decimals)
    to_amount = p.units("toAmount", assets[to_asset].decimals)
    p.choice("walletType", frozenset({"SPOT"}), err.invalid_value("walletType"))
    valid_time = p.choice("validTime", frozenset(VALID_TIMES), default=DEFAULT_VALID_TIME)
    q = _desk(ctx).quote(ctx.account, from_asset, to_asset, from_amount, to_amount, valid_time)
    return {
        "quoteId": q.quote_id,
        "ratio": q.ratio,
        "inverseRatio": q.inverse_ratio,
        "validTimestamp": q.valid_until,
        "toAmount": _units(ctx, q.to_asset, q.to_amount),
        "fromAmount": _units(ctx, q.from_asset, q.from_amount),
    }


def accept_quote(ctx: Ctx) -> dict[str, object]:
    order = _desk(ctx).accept(ctx.account, ctx.params.text("quoteId", True))
    return {"orderId": str(order.order_id), "createTime": order.create_time, "orderStatus": order.status}


def _order(ctx: Ctx, order: ConvertOrder, with_quote_id: bool = False) -> dict[str, object]:
    q: Quote = order.quote
    out: dict[str, object] = {"quoteId": q.quote_id} if with_quote_id else {}
    return out | {
        "orderId": order.order_id,
        "orderStatus": order.status,
        "fromAsset": q.from_asset,
        "fromAmount": _units(ctx, q.from_asset, q.from_amount),
        "toAsset": q.to_asset,
        "toAmount": _units(ctx, q.to_asset, q.to_amount),
        "ratio": q.ratio,
        "inverseRatio": q.inverse_ratio,
        "createTime": order.create_time,
    }


def order_status(ctx: Ctx) -> dict[str, object]:
    p = ctx.params
    order_id, quote_id = p.int("orderId", 0, 2**63 - 1), p.text("quoteId")
    if order_id is None and quote_id is None:
        raise err.one_of("orderId", "quoteId")
    return _order(ctx, _desk(ctx).order(ctx.account, order_id, quote_id))


def trade_flow(ctx: Ctx) -> dict[str, object]:
    p = ctx.params
    start = p.int("startTime", 0, MAX_TIME, required=True)
    end = p.int("endTime", 0, MAX_TIME, required=True)
    if start > end:
        raise err.invalid_value("startTime")
    if end - start > THIRTY_DAYS_MS:
        raise err.window_too_long(720)
    limit = p.limit(100, 1000)
    orders, more = _desk(ctx).history(ctx.account, start, end, limit)
    return {
        "list": [_order(ctx, o, with_quote_id=True) for o in orders],
        "startTime": start,
        "endTime": end,
        "limit": limit,
        "moreData": more,
    }


_FROM, _TO = Param("fromAsset"), Param("toAsset")

# Binance counts convert calls in separate SAPI pools (weights 100-3000 there); sandex has one request-weight
# pool per IP, so they weigh like the spot calls they resemble.
ENDPOINTS = [
    Endpoint(
        "GET",
        "/sapi/v1/convert/exchangeInfo",
        exchange_info,
        Security.USER_DATA,
        20,
        (_FROM, _TO),
        "Convert pairs and their amount limits",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/convert/assetInfo",
        asset_info,
        Security.USER_DATA,
        10,
        (),
        "Convert amount precision per asset",
    ),
    Endpoint(
        "POST",
        "/sapi/v1/convert/getQuote",
        get_quote,
        Security.TRADE,
        20,
        (
            Param("fromAsset", required=True),
            Param("toAsset", required=True),
            Param("fromAmount", "number", doc="what you give; or toAmount, not both"),
            Param("toAmount", "number", doc="what you get; or fromAmount, not both"),
            Param("walletType", doc="SPOT", enum=("SPOT",)),
            Param("validTime", doc="10s (default), 30s, 1m or 2m", enum=tuple(VALID_TIMES)),
        ),
        "Send a convert quote request",
    ),
    Endpoint(
        "POST",
        "/sapi/v1/convert/acceptQuote",
        accept_quote,
        Security.TRADE,
        20,
        (Param("quoteId", required=True),),
        "Accept a convert quote",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/convert/orderStatus",
        order_status,
        Security.USER_DATA,
        10,
        (Param("orderId", "integer"), Param("quoteId")),
        "Convert order status",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/convert/tradeFlow",
        trade_flow,
        Security.USER_DATA,
        20,
        (
            Param("startTime", "integer", True),
            Param("endTime", "integer", True),
            Param("limit", "integer", doc="default 100, at most 1000"),
        ),
        "Convert trade history",
    ),
]
