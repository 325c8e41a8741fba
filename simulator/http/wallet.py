"""What default ccxt asks besides spot: wallet coins, margin pair lists, status, fees, and the
futures exchangeInfo stubs (sandex lists no futures markets, and says so truthfully)."""

from __future__ import annotations

from ..venue import Market
from ..wire import format_units
from .endpoint import Ctx, Endpoint, Param, Security
from .market import symbol_of
from .render import short

NETWORK = "SANDEX"  # the one network coins move on here: deposits through the admin API


def coins(ctx: Ctx) -> list[dict[str, object]]:
    """``capital/config/getall``: every asset any call may name as a currency, with the account's balance."""
    venue = ctx.services.venue
    balances, _ = venue.balances(ctx.account)
    out = []
    for code, spec in venue.assets.items():
        b = balances[code]
        step = format_units(1, spec.decimals)
        out.append(
            {
                "coin": code,
                "name": code,
                "depositAllEnable": True,
                "withdrawAllEnable": False,
                "free": format_units(b.free, spec.decimals),
                "locked": format_units(b.locked, spec.decimals),
                "freeze": "0",
                "withdrawing": "0",
                "ipoing": "0",
                "ipoable": "0",
                "storage": "0",
                "isLegalMoney": False,
                "trading": True,
                "networkList": [
                    {
                        "network": NETWORK,
                        "coin": code,
                        "name": "sandex ledger",
                        "isDefault": True,
                        "depositEnable": True,
                        "withdrawEnable": False,
                        "depositDesc": "",
                        "withdrawDesc": "Withdrawals are not possible on a simulator.",
                        "specialTips": "",
                        "resetAddressStatus": False,
                        "addressRegex": "",
                        "memoRegex": "",
                        "withdrawFee": "0",
                        "withdrawMin": "0",
                        "withdrawMax": "0",
                        "withdrawIntegerMultiple": step,
                        "depositDust": step,
                        "minConfirm": 0,
                        "unLockConfirm": 0,
                        "sameAddress": False,
                        "estimatedArrivalTime": 0,
                        "busy": False,
                        "contractAddressUrl": "",
                        "contractAddress": "",
                    }
                ],
            }
        )
    return out


def _margin_markets(ctx: Ctx) -> list[Market]:
    market = symbol_of(ctx, required=False)
    markets = [market] if market else list(ctx.services.venue.markets.values())
    return [m for m in markets if m.config.margin]


def cross_pairs(ctx: Ctx) -> list[dict[str, object]]:
    return [
        {
            "id": i + 1,
            "symbol": m.spec.symbol,
            "base": m.spec.base.code,
            "quote": m.spec.quote.code,
            "isMarginTrade": True,
            "isBuyAllowed": True,
            "isSellAllowed": True,
        }
        for i, m in enumerate(_margin_markets(ctx))
    ]


def isolated_pairs(ctx: Ctx) -> list[dict[str, object]]:
    return [
        {
            "symbol": m.spec.symbol,
            "base": m.spec.base.code,
            "quote": m.spec.quote.code,
            "isMarginTrade": True,
            "isBuyAllowed": True,
            "isSellAllowed": True,
        }
        for m in _margin_markets(ctx)
    ]


def system_status(ctx: Ctx) -> dict[str, object]:
    """Binance's 1 / "system maintenance" while the exchange takes no changes (see the admin health)."""
    if ctx.services.venue.read_only is not None:
        return {"status": 1, "msg": "system maintenance"}
    return {"status": 0, "msg": "normal"}


def trade_fee(ctx: Ctx) -> list[dict[str, str]]:
    venue = ctx.services.venue
    market = symbol_of(ctx, required=False)
    maker, taker = venue.fee_rates(ctx.account)
    markets = [market] if market else list(venue.markets.values())
    return [
        {"symbol": m.spec.symbol, "makerCommission": short(maker), "takerCommission": short(taker)} for m in markets
    ]


def account_status(ctx: Ctx) -> dict[str, str]:
    return {"data": "Normal"}


def api_restrictions(ctx: Ctx) -> dict[str, object]:
    key = ctx.key
    assert key is not None  # USER_DATA: the pipeline has authenticated it
    return {
        "ipRestrict": key.ip_allow is not None,
        "createTime": key.created_ms,
        "enableReading": True,
        "enableSpotAndMarginTrading": "SPOT" in key.permissions,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": "MARGIN" in key.permissions,
        "enableFutures": False,
        "permitsUniversalTransfer": "MARGIN" in key.permissions,  # every transfer here touches a margin wallet
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enablePortfolioMarginTrading": False,
    }


def futures_info(ctx: Ctx) -> dict[str, object]:
    return {
        "timezone": "UTC",
        "serverTime": ctx.now,
        "futuresType": "",
        "rateLimits": [],
        "exchangeFilters": [],
        "assets": [],
        "symbols": [],
    }


_SYMBOL = Param("symbol")

ENDPOINTS = [
    Endpoint("GET", "/sapi/v1/capital/config/getall", coins, Security.USER_DATA, 10, (), "All coins' information"),
    Endpoint("GET", "/sapi/v1/margin/allPairs", cross_pairs, Security.USER_DATA, 1, (_SYMBOL,), "Cross margin pairs"),
    Endpoint(
        "GET",
        "/sapi/v1/margin/isolated/allPairs",
        isolated_pairs,
        Security.USER_DATA,
        10,
        (_SYMBOL,),
        "Isolated margin pairs",
    ),
    Endpoint("GET", "/sapi/v1/system/status", system_status, summary="System status"),
    Endpoint("GET", "/sapi/v1/asset/tradeFee", trade_fee, Security.USER_DATA, 1, (_SYMBOL,), "Trade fees"),
    Endpoint("GET", "/sapi/v1/account/status", account_status, Security.USER_DATA, 1, (), "Account status"),
    Endpoint(
        "GET", "/sapi/v1/account/apiRestrictions", api_restrictions, Security.USER_DATA, 1, (), "API key permissions"
    ),
    Endpoint("GET", "/fapi/v1/exchangeInfo", futures_info, summary="USD-M futures (none listed here)"),
    Endpoint("GET", "/dapi/v1/exchangeInfo", futures_info, summary="COIN-M futures (none listed here)"),
]
