"""Binance margin accounts, transfers, loans and their data (``/sapi/v1/margin/...``, ``asset/transfer``).

The handlers only translate: wire parameters into ``MarginDesk`` calls, and the desk's views and
records back into Binance's JSON. Every rule (what may be borrowed, moved or repaid, interest on
the clock) lives in the desk, which checks everything before it changes anything, so a refused
request changes nothing.

Weights are Binance's IP weights (ccxt's cost x 10). Binance counts transfers and borrow/repay in a
separate per-account (UID) pool that sandex does not have; those weigh 1 on the IP pool here.
History endpoints answer newest first and page with ``current`` (from 1) and ``size`` (default 10,
at most 100), as Binance documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, Protocol, TypeVar, overload

from engine import RATE_DENOM, mul_div_ceil

from .. import binance_errors as err
from ..binance_errors import ApiError
from ..clock import DAY_MS, HOUR_MS, MAX_TIME, WEEK_MS
from ..margin import CROSS_MARGIN, SPOT, AssetRow, MarginDesk, WalletRef, WalletView
from ..margin.desk import window
from ..margin.records import InterestRecord, LiquidationRecord, LoanRecord, TransferRecord
from ..retention import Timed
from ..wire import format_units
from .endpoint import Ctx, Endpoint, Param, Params, Security

MONTH_MS = 30 * DAY_MS
HALF_YEAR_MS = 180 * DAY_MS
RATE_HISTORY_MAX_DAYS = 93  # Binance refuses a longer interestRateHistory (ccxt's limit says the same)
MAX_ISOLATED_SYMBOLS = 5  # margin/isolated/account?symbols=
MAX_RATE_ASSETS = 20  # next-hourly-interest-rate?assets=
VIP_LEVELS = (0, 9)  # one rate schedule here, whatever the level asked for
CROSS_NO_DEBT_LEVEL = "999"  # Binance's cross marginLevel without debt
ISOLATED_NO_DEBT_LEVEL = "999.00000000"
UNSUPPORTED_WALLET = ApiError(
    400, -1130, "Invalid data sent for a parameter. sandex has only the spot, cross margin and isolated margin wallets."
)

# Universal transfer types between the wallets sandex has: type -> (source kind, target kind).
MARGIN_TRANSFERS: dict[str, tuple[str, str]] = {
    "MAIN_MARGIN": ("SPOT", "CROSS"),
    "MARGIN_MAIN": ("CROSS", "SPOT"),
    "MAIN_ISOLATED_MARGIN": ("SPOT", "ISOLATED"),
    "ISOLATED_MARGIN_MAIN": ("ISOLATED", "SPOT"),
    "MARGIN_ISOLATEDMARGIN": ("CROSS", "ISOLATED"),
    "ISOLATEDMARGIN_MARGIN": ("ISOLATED", "CROSS"),
    "ISOLATEDMARGIN_ISOLATEDMARGIN": ("ISOLATED", "ISOLATED"),
}
# Binance's other universal transfer types: valid names, wallets sandex does not have.
OTHER_TRANSFERS = frozenset(
    f"{a}_{b}"
    for a, b in (
        ("MAIN", "UMFUTURE"),
        ("MAIN", "CMFUTURE"),
        ("UMFUTURE", "MAIN"),
        ("UMFUTURE", "MARGIN"),
        ("CMFUTURE", "MAIN"),
        ("CMFUTURE", "MARGIN"),
        ("MARGIN", "UMFUTURE"),
        ("MARGIN", "CMFUTURE"),
        ("MAIN", "FUNDING"),
        ("FUNDING", "MAIN"),
        ("FUNDING", "UMFUTURE"),
        ("UMFUTURE", "FUNDING"),
        ("MARGIN", "FUNDING"),
        ("FUNDING", "MARGIN"),
        ("FUNDING", "CMFUTURE"),
        ("CMFUTURE", "FUNDING"),
        ("MAIN", "OPTION"),
        ("OPTION", "MAIN"),
        ("UMFUTURE", "OPTION"),
        ("OPTION", "UMFUTURE"),
        ("MARGIN", "OPTION"),
        ("OPTION", "MARGIN"),
        ("FUNDING", "OPTION"),
        ("OPTION", "FUNDING"),
        ("MAIN", "PORTFOLIO_MARGIN"),
        ("PORTFOLIO_MARGIN", "MAIN"),
    )
)
ALL_TRANSFERS = frozenset(MARGIN_TRANSFERS) | OTHER_TRANSFERS


class _Owned(Timed, Protocol):
    """A desk record (kept in time order): the history endpoints show each user only theirs."""

    @property
    def owner(self) -> int: ...


_R = TypeVar("_R")
_Rec = TypeVar("_Rec", bound=_Owned)


# ---- shared parsing and formatting ----------------------------------------------------------------


def _desk(ctx: Ctx) -> MarginDesk:
    return ctx.services.margin


def _units(ctx: Ctx, asset: str, amount: int) -> str:
    return format_units(amount, ctx.services.venue.assets[asset].decimals)


def _btc(desk: MarginDesk, value: int) -> str:
    """A value in the reference asset (BTC), at its precision."""
    return format_units(value, desk.venue.assets[desk.valuation.reference].decimals)


def _rate(rate: int) -> str:
    """A rate or ratio over RATE_DENOM, eight decimals as Binance prints them."""
    return format_units(rate, 8)


@overload
def _asset(ctx: Ctx, name: str = "asset", required: Literal[True] = True) -> str: ...
@overload
def _asset(ctx: Ctx, name: str = "asset", *, required: bool) -> str | None: ...


def _asset(ctx: Ctx, name: str = "asset", required: bool = True) -> str | None:
    """A margin asset: every listed asset is one here; anything else is Binance's -3027."""
    code = ctx.params.text(name, required)
    if code is not None and code not in ctx.services.venue.assets:
        raise err.NOT_MARGIN_ASSET
    return code


def _amount(ctx: Ctx, asset: str) -> int:
    return ctx.params.units("amount", ctx.services.venue.assets[asset].decimals, required=True)


def _isolated(ctx: Ctx, name: str) -> WalletRef | None:
    """The isolated wallet a symbol parameter names (a margin pair, else -3028), or None if not sent."""
    symbol = ctx.params.text(name)
    if symbol is None:
        return None
    ref = WalletRef("ISOLATED", symbol)
    _desk(ctx).check_ref(ref)
    return ref


def _upper_flag(p: Params, name: str, default: bool) -> bool:
    """Binance's ``TRUE``/``FALSE`` parameters (read case-blind, as Java's parseBoolean does)."""
    value = p.text(name)
    if value is None:
        return default
    if value.upper() not in ("TRUE", "FALSE"):
        raise err.illegal_chars(name, "TRUE|FALSE")
    return value.upper() == "TRUE"


def _vip_level(p: Params) -> int:
    return p.int("vipLevel", *VIP_LEVELS, default=0)


@overload
def _csv(p: Params, name: str, most: int, required: Literal[True]) -> list[str]: ...
@overload
def _csv(p: Params, name: str, most: int, required: bool = False) -> list[str] | None: ...


def _csv(p: Params, name: str, most: int, required: bool = False) -> list[str] | None:
    """A comma-separated list parameter (``BTCUSDT,ETHUSDT``): no empty items, no repeats, at most ``most``."""
    text = p.text(name, required)
    if text is None:
        return None
    items = [item.strip() for item in text.split(",")]
    if not all(items) or len(items) > most:
        raise err.illegal_chars(name, f"1 to {most} comma-separated names")
    if len(set(items)) != len(items):
        raise err.DUPLICATE_SYMBOLS if name == "symbols" else err.illegal_chars(name, "distinct names")
    return items


def history_window(p: Params, now: int, default_span: int, max_span: int | None) -> tuple[int, int]:
    """Binance's history windows: no times means the last ``default_span``; only ``startTime`` means
    from it to now (cut to ``max_span``); only ``endTime`` means ``default_span`` before it; both
    further apart than ``max_span`` is -1127."""
    start = p.int("startTime", 0, MAX_TIME)
    end = p.int("endTime", 0, MAX_TIME)
    start_only = start is not None and end is None
    end = now if end is None else end
    start = max(0, end - default_span) if start is None else start
    if start > end:
        raise err.invalid_value("startTime")
    if max_span is not None and end - start > max_span:
        if not start_only:
            raise err.window_too_long(max_span // HOUR_MS)
        start = end - max_span
    return start, end


def _paging(p: Params) -> tuple[int, int]:
    """``current`` (from 1) and ``size`` (default 10, at most 100); read before anything is done,
    so a bad page refuses the request before the desk charges interest due."""
    return p.int("current", 1, 2**31 - 1, default=1), p.int("size", 1, 100, default=10)


def _page(
    p: Params,
    newest_first: Sequence[_R],
    render: Callable[[_R], dict[str, object]],
    paging: tuple[int, int] | None = None,
) -> dict[str, object]:
    """``{"rows": [...], "total": n}`` for page ``current`` of ``size`` rows."""
    current, size = paging or _paging(p)
    rows = newest_first[(current - 1) * size : current * size]
    return {"rows": [render(r) for r in rows], "total": len(newest_first)}


def _mine(
    items: list[_Rec], owner: int, start: int | None, end: int | None, keep: Callable[[_Rec], bool]
) -> list[_Rec]:
    """The owner's records in [start, end] that ``keep`` accepts, newest first."""
    return [r for r in reversed(window(items, start, end)) if r.owner == owner and keep(r)]


# ---- accounts -------------------------------------------------------------------------------------


def _net_value(desk: MarginDesk, row: AssetRow) -> int:
    """A row's net asset in BTC: a surplus rounded down, a deficit rounded up (the house's side)."""
    net = row.net
    if net >= 0:
        return desk.valuation.value(net, row.asset) or 0
    return -(desk.valuation.value(-net, row.asset, round_up=True) or 0)


def _amounts(ctx: Ctx, row: AssetRow) -> dict[str, str]:
    """The amounts both account endpoints show for an asset."""
    a = row.asset
    return {
        "borrowed": _units(ctx, a, row.borrowed),
        "free": _units(ctx, a, row.free),
        "interest": _units(ctx, a, row.interest),
        "locked": _units(ctx, a, row.locked),
        "netAsset": _units(ctx, a, row.net),
    }


def _collateral_usdt(desk: MarginDesk, rows: Iterable[AssetRow]) -> int | None:
    """What the wallet holds, valued in USDT (None on a venue without USDT)."""
    if "USDT" not in desk.venue.assets:
        return None
    return sum(desk.valuation.convert(r.free + r.locked, r.asset, "USDT") or 0 for r in rows)


def cross_account(ctx: Ctx) -> dict[str, object]:
    """``margin/account``: the cross wallet, every listed asset. Binance sends no ``updateTime`` here
    (ccxt's timestamp stays None, as against Binance)."""
    desk = _desk(ctx)
    with desk.venue.lock:
        view = desk.view(ctx.account, CROSS_MARGIN)
        collateral = _collateral_usdt(desk, view.rows)
    out: dict[str, object] = {
        "created": view.is_open,
        "borrowEnabled": True,
        "marginLevel": CROSS_NO_DEBT_LEVEL if view.level is None else _rate(view.level),
        "totalAssetOfBtc": _btc(desk, view.assets_value),
        "totalLiabilityOfBtc": _btc(desk, view.debt_value),
        "totalNetAssetOfBtc": _btc(desk, view.assets_value - view.debt_value),
    }
    if collateral is not None:
        out["TotalCollateralValueInUSDT"] = _units(ctx, "USDT", collateral)
    return out | {
        "tradeEnabled": True,
        "transferInEnabled": True,
        "transferOutEnabled": True,
        "accountType": "MARGIN_1",
        "userAssets": [{"asset": r.asset, **_amounts(ctx, r)} for r in view.rows],
    }


def _level_status(desk: MarginDesk, view: WalletView) -> str:
    """Binance's marginLevelStatus: EXCESSIVE from the transfer-out level up (or without debt), NORMAL
    from the margin call level, MARGIN_CALL down to halfway to liquidation, PRE_LIQUIDATION down to
    the liquidation level, FORCE_LIQUIDATION below it."""
    level = view.level
    if level is None or level >= desk.transfer_ratio:
        return "EXCESSIVE"
    if level >= view.margin_call_ratio:
        return "NORMAL"
    if level >= (view.margin_call_ratio + view.liquidation_ratio) // 2:
        return "MARGIN_CALL"
    return "PRE_LIQUIDATION" if level >= view.liquidation_ratio else "FORCE_LIQUIDATION"


def liquidation_price(base: AssetRow, quote: AssetRow, ratio: int, base_decimals: int) -> int:
    """The price (quote units per whole base) at which (held value) / (owed value) falls to ``ratio``,
    with both valued in the quote asset; 0 without debt or when no price gets there."""
    owed_base, owed_quote = base.borrowed + base.interest, quote.borrowed + quote.interest
    if not owed_base and not owed_quote:
        return 0
    held_base, held_quote = base.free + base.locked, quote.free + quote.locked
    num: int = (ratio * owed_quote - RATE_DENOM * held_quote) * 10**base_decimals
    den = RATE_DENOM * held_base - ratio * owed_base
    if den == 0:
        return 0
    return max(0, num // den)


def _isolated_asset(ctx: Ctx, desk: MarginDesk, row: AssetRow) -> dict[str, object]:
    return {
        "asset": row.asset,
        "borrowEnabled": True,
        **_amounts(ctx, row),
        "netAssetOfBtc": _btc(desk, _net_value(desk, row)),
        "repayEnabled": True,
        "totalAsset": _units(ctx, row.asset, row.free + row.locked),
    }


def _isolated_pair(ctx: Ctx, desk: MarginDesk, view: WalletView) -> dict[str, object]:
    spec = desk.venue.markets[view.ref.symbol].spec
    base, quote = view.rows
    price = liquidation_price(base, quote, view.liquidation_ratio, spec.base.decimals)
    mark = desk.valuation.mark(view.ref.symbol) or 0
    quote_decimals = spec.quote.decimals
    return {
        "baseAsset": _isolated_asset(ctx, desk, base),
        "quoteAsset": _isolated_asset(ctx, desk, quote),
        "symbol": view.ref.symbol,
        "isolatedCreated": view.is_open,
        "enabled": True,
        "marginLevel": ISOLATED_NO_DEBT_LEVEL if view.level is None else _rate(view.level),
        "marginLevelStatus": _level_status(desk, view),
        "marginRatio": _rate(view.leverage * RATE_DENOM),
        "indexPrice": format_units(mark, quote_decimals),
        "liquidatePrice": format_units(price, quote_decimals),
        "liquidateRate": _rate(view.liquidation_ratio),
        "tradeEnabled": True,
    }


def isolated_account(ctx: Ctx) -> dict[str, object]:
    """``margin/isolated/account``: the symbols asked for (at most 5), else every isolated wallet
    the user has opened. Each pair is priced in its quote asset; totals are in BTC."""
    desk = _desk(ctx)
    symbols = _csv(ctx.params, "symbols", MAX_ISOLATED_SYMBOLS)
    with desk.venue.lock:
        if symbols is None:
            symbols = desk.wallets.isolated_symbols(ctx.account)
        views = [desk.view(ctx.account, WalletRef("ISOLATED", s)) for s in symbols]
        pairs = [_isolated_pair(ctx, desk, v) for v in views]
    assets, debt = sum(v.assets_value for v in views), sum(v.debt_value for v in views)
    return {
        "assets": pairs,
        "totalAssetOfBtc": _btc(desk, assets),
        "totalLiabilityOfBtc": _btc(desk, debt),
        "totalNetAssetOfBtc": _btc(desk, assets - debt),
    }


# ---- transfers ------------------------------------------------------------------------------------


@overload
def _transfer_side(ctx: Ctx, kind: str, symbol_param: str, required: Literal[True]) -> WalletRef: ...
@overload
def _transfer_side(ctx: Ctx, kind: str, symbol_param: str, required: bool) -> WalletRef | None: ...


def _transfer_side(ctx: Ctx, kind: str, symbol_param: str, required: bool) -> WalletRef | None:
    """One side of a universal transfer; the isolated side names its symbol, the others must not."""
    if kind == "SPOT":
        ref = SPOT
    elif kind == "CROSS":
        ref = CROSS_MARGIN
    else:
        found = _isolated(ctx, symbol_param)
        if found is None and required:
            raise err.mandatory(symbol_param)
        return found
    if ctx.params.has(symbol_param):
        raise err.not_required(symbol_param)
    return ref


def universal_transfer(ctx: Ctx) -> dict[str, object]:
    """``POST asset/transfer`` between spot, cross and isolated wallets (the types ccxt sends);
    Binance's futures, funding and options types are valid names for wallets sandex does not have."""
    p = ctx.params
    kind = p.choice("type", ALL_TRANSFERS, required=True)
    if kind not in MARGIN_TRANSFERS:
        raise UNSUPPORTED_WALLET
    source_kind, target_kind = MARGIN_TRANSFERS[kind]
    source = _transfer_side(ctx, source_kind, "fromSymbol", True)
    target = _transfer_side(ctx, target_kind, "toSymbol", True)
    asset = _asset(ctx)
    rec = _desk(ctx).transfer(ctx.account, asset, _amount(ctx, asset), source, target)
    return {"tranId": rec.tran_id}


def transfer_history(ctx: Ctx) -> dict[str, object]:
    """``GET asset/transfer``: one type's transfers (the last 7 days by default, 6 months at most),
    optionally only those of ``fromSymbol``/``toSymbol``. A type between wallets sandex does not have
    (ccxt's default is MAIN_UMFUTURE) has no transfers."""
    p = ctx.params
    kind = p.choice("type", ALL_TRANSFERS, required=True)
    start, end = history_window(p, ctx.now, WEEK_MS, HALF_YEAR_MS)
    if kind not in MARGIN_TRANSFERS:
        return _page(p, [], dict)
    source_kind, target_kind = MARGIN_TRANSFERS[kind]
    source = _transfer_side(ctx, source_kind, "fromSymbol", False)
    target = _transfer_side(ctx, target_kind, "toSymbol", False)

    def keep(r: TransferRecord) -> bool:
        return (
            (r.source.kind, r.target.kind) == (source_kind, target_kind)
            and (source is None or r.source == source)
            and (target is None or r.target == target)
        )

    def render(r: TransferRecord) -> dict[str, object]:
        return {
            "asset": r.asset,
            "amount": _units(ctx, r.asset, r.amount),
            "type": kind,
            "status": "CONFIRMED",
            "tranId": r.tran_id,
            "timestamp": r.time,
        }

    return _page(p, _mine(_desk(ctx).transfers, ctx.account, start, end, keep), render)


def cross_transfer(ctx: Ctx) -> dict[str, object]:
    """The older ``POST margin/transfer``: type 1 moves spot to cross, 2 cross to spot."""
    p = ctx.params
    asset = _asset(ctx)
    amount = _amount(ctx, asset)
    source, target = p.choice("type", {"1": (SPOT, CROSS_MARGIN), "2": (CROSS_MARGIN, SPOT)}, required=True)
    return {"tranId": _desk(ctx).transfer(ctx.account, asset, amount, source, target).tran_id}


def isolated_transfer(ctx: Ctx) -> dict[str, object]:
    """The older ``POST margin/isolated/transfer``: between spot and one symbol's isolated wallet."""
    p = ctx.params
    asset = _asset(ctx)
    ref = _isolated(ctx, "symbol")
    if ref is None:
        raise err.mandatory("symbol")
    wallets = {"SPOT": SPOT, "ISOLATED_MARGIN": ref}
    source = p.choice("transFrom", wallets, required=True)
    target = p.choice("transTo", wallets, required=True)
    amount = _amount(ctx, asset)
    return {"tranId": _desk(ctx).transfer(ctx.account, asset, amount, source, target).tran_id}


# ---- borrowing and repaying -----------------------------------------------------------------------


def _loan_wallet(ctx: Ctx, symbol_param: str) -> WalletRef:
    """Cross, or with ``isIsolated=TRUE`` the isolated wallet of the symbol parameter."""
    p = ctx.params
    if _upper_flag(p, "isIsolated", False):
        return _desk(ctx).margin_wallet(ctx.account, True, p.text(symbol_param))
    if p.has(symbol_param):
        raise err.not_required(symbol_param)
    return CROSS_MARGIN


def borrow_repay(ctx: Ctx) -> dict[str, object]:
    """``POST margin/borrow-repay``: type BORROW or REPAY, cross or isolated; Binance answers only the id."""
    p = ctx.params
    kind = p.choice("type", frozenset({"BORROW", "REPAY"}), required=True)
    asset = _asset(ctx)
    amount = _amount(ctx, asset)
    ref = _loan_wallet(ctx, "symbol")
    desk = _desk(ctx)
    rec = (desk.borrow if kind == "BORROW" else desk.repay)(ctx.account, asset, amount, ref)
    return {"tranId": rec.tran_id}


def loan_history(ctx: Ctx) -> dict[str, object]:
    """``GET margin/borrow-repay``: one type's records of the cross wallet, or of ``isolatedSymbol``'s;
    ``txId`` finds one record whatever its time; otherwise the last 7 days by default, at most 30
    days with ``asset`` and 7 without. ``type`` in a row says AUTO (an order's side effect or a
    liquidation) or MANUAL."""
    p = ctx.params
    kind = p.choice("type", frozenset({"BORROW", "REPAY"}), required=True)
    asset = _asset(ctx, required=False)
    ref = _isolated(ctx, "isolatedSymbol") or CROSS_MARGIN
    tx_id = p.int("txId", 0, 2**63 - 1)
    start: int | None
    end: int | None
    start, end = history_window(p, ctx.now, WEEK_MS, MONTH_MS if asset else WEEK_MS)
    paging = _paging(p)
    desk = _desk(ctx)
    desk.catch_up(ctx.now)
    if tx_id is not None:
        start = end = None

    def keep(r: LoanRecord) -> bool:
        return (
            r.kind == kind
            and r.wallet == ref
            and (asset is None or r.asset == asset)
            and (tx_id is None or r.tran_id == tx_id)
        )

    def render(r: LoanRecord) -> dict[str, object]:
        row: dict[str, object] = {"type": "AUTO" if r.auto else "MANUAL"}
        if r.wallet.kind == "ISOLATED":
            row["isolatedSymbol"] = r.wallet.symbol
        return row | {
            "amount": _units(ctx, r.asset, r.amount),
            "asset": r.asset,
            "interest": _units(ctx, r.asset, r.interest),
            "principal": _units(ctx, r.asset, r.principal),
            "status": "CONFIRMED",
            "timestamp": r.time,
            "txId": r.tran_id,
        }

    return _page(p, _mine(desk.loans, ctx.account, start, end, keep), render, paging)


def max_borrowable(ctx: Ctx) -> dict[str, object]:
    """``margin/maxBorrowable``: what may be borrowed now (the pool permitting) and the wallet's limit."""
    asset = _asset(ctx)
    ref = _isolated(ctx, "isolatedSymbol") or CROSS_MARGIN
    amount, limit = _desk(ctx).max_borrowable(ctx.account, asset, ref)
    return {"amount": _units(ctx, asset, amount), "borrowLimit": _units(ctx, asset, limit)}


def max_transferable(ctx: Ctx) -> dict[str, object]:
    """``margin/maxTransferable``: what may leave the wallet without breaking its transfer-out level."""
    asset = _asset(ctx)
    ref = _isolated(ctx, "isolatedSymbol") or CROSS_MARGIN
    return {"amount": _units(ctx, asset, _desk(ctx).max_transferable(ctx.account, asset, ref))}


# ---- rates ----------------------------------------------------------------------------------------


def _daily_rate(ctx: Ctx, asset: str) -> int:
    return ctx.services.venue.interest_rate(asset)


def _pool_limit(desk: MarginDesk) -> str:
    """The most anyone can borrow of an asset: the lending pool's configured size, whole coins."""
    return desk.config.lending_pool


def rate_history(ctx: Ctx) -> list[dict[str, object]]:
    """``margin/interestRateHistory``: one entry per UTC day (at 00:00, as Binance's are), newest
    first, in [startTime, endTime] (default the last 7 days; at most 93 days). Rates are configured,
    not moved by the market, so every entry is the asset's current daily rate. ``limit`` (ccxt sends
    it; Binance refuses more than 93) keeps the newest."""
    p = ctx.params
    asset = _asset(ctx)
    vip = _vip_level(p)
    limit = p.int("limit", 1, RATE_HISTORY_MAX_DAYS, default=RATE_HISTORY_MAX_DAYS)
    start, end = history_window(p, ctx.now, WEEK_MS, RATE_HISTORY_MAX_DAYS * DAY_MS)
    rate = _rate(_daily_rate(ctx, asset))
    days = range(end // DAY_MS * DAY_MS, start - 1, -DAY_MS)
    return [{"asset": asset, "dailyInterestRate": rate, "timestamp": t, "vipLevel": vip} for t in days[:limit]]


def _marginable_pairs(desk: MarginDesk, asset: str) -> list[str]:
    return [
        s for s, m in desk.venue.markets.items() if m.config.margin and asset in (m.spec.base.code, m.spec.quote.code)
    ]


def cross_margin_data(ctx: Ctx) -> list[dict[str, object]]:
    """``margin/crossMarginData``: rate and limit of each asset (or of ``coin``), any VIP level."""
    desk = _desk(ctx)
    vip = _vip_level(ctx.params)
    coin = _asset(ctx, "coin", required=False)
    out = []
    for asset in [coin] if coin else list(desk.venue.assets):
        daily = _daily_rate(ctx, asset)
        out.append(
            {
                "vipLevel": vip,
                "coin": asset,
                "transferIn": True,
                "borrowable": True,
                "dailyInterest": _rate(daily),
                "yearlyInterest": _rate(daily * 365),
                "borrowLimit": _pool_limit(desk),
                "marginablePairs": _marginable_pairs(desk, asset),
            }
        )
    return out


def isolated_margin_data(ctx: Ctx) -> list[dict[str, object]]:
    """``margin/isolatedMarginData``: each isolated pair's leverage and its two assets' rates, base first."""
    desk = _desk(ctx)
    vip = _vip_level(ctx.params)
    ref = _isolated(ctx, "symbol")
    symbols = [ref.symbol] if ref else [s for s, m in desk.venue.markets.items() if m.config.margin]
    out = []
    for symbol in symbols:
        iso = WalletRef("ISOLATED", symbol)
        data = [
            {"coin": a, "dailyInterest": _rate(_daily_rate(ctx, a)), "borrowLimit": _pool_limit(desk)}
            for a in desk.wallet_assets(iso)
        ]
        out.append({"vipLevel": vip, "symbol": symbol, "leverage": str(desk.leverage(iso, "")), "data": data})
    return out


def next_hourly_rate(ctx: Ctx) -> list[dict[str, object]]:
    """``margin/next-hourly-interest-rate``: the daily rate over 24, rounded up to eight decimals
    as the hour's interest is; the same for cross and isolated wallets here."""
    p = ctx.params
    assets = _csv(p, "assets", MAX_RATE_ASSETS, required=True)
    p.text("isIsolated", required=True)
    _upper_flag(p, "isIsolated", False)  # validated only: one rate for both kinds of wallet
    for asset in assets:
        if asset not in ctx.services.venue.assets:
            raise err.NOT_MARGIN_ASSET
    return [{"asset": a, "nextHourlyInterestRate": _rate(mul_div_ceil(_daily_rate(ctx, a), 1, 24))} for a in assets]


# ---- interest and liquidation histories --------------------------------------------------------------


def interest_history(ctx: Ctx) -> dict[str, object]:
    """``margin/interestHistory``: hourly charges of the cross wallet, or of ``isolatedSymbol``'s; the
    last 7 days by default, 30 days at most. Isolated rows carry ``isolatedSymbol``, cross rows
    ``rawAsset`` (ccxt tells the two apart by that key)."""
    p = ctx.params
    asset = _asset(ctx, required=False)
    ref = _isolated(ctx, "isolatedSymbol") or CROSS_MARGIN
    start, end = history_window(p, ctx.now, WEEK_MS, MONTH_MS)
    paging = _paging(p)
    desk = _desk(ctx)
    desk.catch_up(ctx.now)

    def keep(r: InterestRecord) -> bool:
        return r.wallet == ref and (asset is None or r.asset == asset)

    def render(r: InterestRecord) -> dict[str, object]:
        isolated = r.wallet.kind == "ISOLATED"
        row: dict[str, object] = {"txId": r.tx_id, "interestAccuredTime": r.time, "asset": r.asset}
        if not isolated:
            row["rawAsset"] = r.asset
        row |= {
            "principal": _units(ctx, r.asset, r.principal),
            "interest": _units(ctx, r.asset, r.amount),
            "interestRate": _rate(r.daily_rate),
            "type": "ON_BORROW" if r.on_borrow else "PERIODIC",
        }
        if isolated:
            row["isolatedSymbol"] = r.wallet.symbol
        return row

    return _page(p, _mine(desk.interest, ctx.account, start, end, keep), render, paging)


def liquidation_history(ctx: Ctx) -> dict[str, object]:
    """``margin/forceLiquidationRec``: the orders forced liquidations sent, of every wallet (or only
    ``isolatedSymbol``'s), any time unless a window is given. sandex liquidates with market orders,
    so ``price`` repeats the average price."""
    p = ctx.params
    ref = _isolated(ctx, "isolatedSymbol")
    start = p.int("startTime", 0, MAX_TIME)
    end = p.int("endTime", 0, MAX_TIME)
    if start is not None and end is not None and start > end:
        raise err.invalid_value("startTime")
    desk = _desk(ctx)

    def render(r: LiquidationRecord) -> dict[str, object]:
        spec = desk.venue.markets[r.symbol].spec
        price = format_units(r.price, spec.quote.decimals)
        return {
            "avgPrice": price,
            "executedQty": format_units(r.executed_qty, spec.base.decimals),
            "orderId": r.order_id,
            "price": price,
            "qty": format_units(r.qty, spec.base.decimals),
            "side": r.side,
            "symbol": r.symbol,
            "timeInForce": r.time_in_force,
            "isIsolated": r.wallet.kind == "ISOLATED",
            "updatedTime": r.time,
        }

    rows = _mine(desk.liquidations, ctx.account, start, end, lambda r: ref is None or r.wallet == ref)
    return _page(p, rows, render)


# ---- declarations -----------------------------------------------------------------------------------

ASSET = Param("asset", required=True)
AMOUNT = Param("amount", "number", True)
ISOLATED_SYMBOL = Param("isolatedSymbol", doc="an isolated pair; the cross wallet when absent")
START, END = Param("startTime", "integer"), Param("endTime", "integer")
PAGE = (
    START,
    END,
    Param("current", "integer", doc="page, from 1"),
    Param("size", "integer", doc="rows per page: default 10, at most 100"),
)
VIP = Param("vipLevel", "integer", doc="any level: one rate schedule here")
TRANSFER_TYPE = Param(
    "type", required=True, doc="MAIN_MARGIN, MARGIN_MAIN, MAIN_ISOLATED_MARGIN, ...", enum=tuple(sorted(ALL_TRANSFERS))
)
LOAN_TYPE = Param("type", required=True, doc="BORROW or REPAY", enum=("BORROW", "REPAY"))
TRUE_FALSE = ("TRUE", "FALSE")  # read case-blind


def _when(name: str, with_it: int, without: int) -> Callable[[dict[str, str]], int]:
    """A weight that depends on whether a parameter was sent (Binance's crossMarginData, isolatedMarginData)."""
    return lambda params: with_it if params.get(name) else without


ENDPOINTS = [
    Endpoint(
        "GET", "/sapi/v1/margin/account", cross_account, Security.USER_DATA, 10, (), "Cross margin account details"
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/isolated/account",
        isolated_account,
        Security.USER_DATA,
        10,
        (Param("symbols", doc="up to 5, comma-separated"),),
        "Isolated margin account info",
    ),
    # Binance lets only keys with "Permits Universal Transfer" move funds so; every transfer sandex has
    # moves them into or out of a margin wallet, so here that right is the MARGIN permission.
    Endpoint(
        "POST",
        "/sapi/v1/asset/transfer",
        universal_transfer,
        Security.MARGIN,
        1,
        (
            TRANSFER_TYPE,
            ASSET,
            AMOUNT,
            Param("fromSymbol"),
            Param("toSymbol"),
        ),
        "Universal transfer between the spot, cross and isolated wallets",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/asset/transfer",
        transfer_history,
        Security.USER_DATA,
        1,
        (
            TRANSFER_TYPE,
            *PAGE,
            Param("fromSymbol"),
            Param("toSymbol"),
        ),
        "Universal transfer history",
    ),
    Endpoint(
        "POST",
        "/sapi/v1/margin/transfer",
        cross_transfer,
        Security.MARGIN,
        1,
        (
            ASSET,
            AMOUNT,
            Param("type", "integer", True, "1: spot to cross, 2: cross to spot", enum=("1", "2")),
        ),
        "Cross margin transfer (older endpoint)",
    ),
    Endpoint(
        "POST",
        "/sapi/v1/margin/isolated/transfer",
        isolated_transfer,
        Security.MARGIN,
        1,
        (
            ASSET,
            Param("symbol", required=True),
            Param("transFrom", required=True, doc="SPOT or ISOLATED_MARGIN", enum=("SPOT", "ISOLATED_MARGIN")),
            Param("transTo", required=True, doc="SPOT or ISOLATED_MARGIN", enum=("SPOT", "ISOLATED_MARGIN")),
            AMOUNT,
        ),
        "Isolated margin transfer (older endpoint)",
    ),
    Endpoint(
        "POST",
        "/sapi/v1/margin/borrow-repay",
        borrow_repay,
        Security.MARGIN,
        1,
        (
            ASSET,
            Param("isIsolated", doc="TRUE or FALSE (default)", enum=TRUE_FALSE),
            Param("symbol", doc="with isIsolated=TRUE"),
            AMOUNT,
            LOAN_TYPE,
        ),
        "Borrow or repay",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/borrow-repay",
        loan_history,
        Security.USER_DATA,
        10,
        (
            Param("asset"),
            ISOLATED_SYMBOL,
            Param("txId", "integer"),
            *PAGE,
            LOAN_TYPE,
        ),
        "Borrow and repay records",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/maxBorrowable",
        max_borrowable,
        Security.USER_DATA,
        50,
        (ASSET, ISOLATED_SYMBOL),
        "Max borrowable",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/maxTransferable",
        max_transferable,
        Security.USER_DATA,
        50,
        (ASSET, ISOLATED_SYMBOL),
        "Max transfer-out amount",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/interestRateHistory",
        rate_history,
        Security.USER_DATA,
        1,
        (
            ASSET,
            VIP,
            START,
            END,
            Param("limit", "integer", doc="at most 93 (ccxt sends it)"),
        ),
        "Margin interest rate history",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/crossMarginData",
        cross_margin_data,
        Security.USER_DATA,
        _when("coin", 1, 5),
        (VIP, Param("coin")),
        "Cross margin fee data",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/isolatedMarginData",
        isolated_margin_data,
        Security.USER_DATA,
        _when("symbol", 1, 10),
        (VIP, Param("symbol")),
        "Isolated margin fee data",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/next-hourly-interest-rate",
        next_hourly_rate,
        Security.USER_DATA,
        100,
        (
            Param("assets", required=True, doc="up to 20, comma-separated"),
            Param("isIsolated", required=True, doc="TRUE or FALSE", enum=TRUE_FALSE),
        ),
        "Next hourly interest rate",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/interestHistory",
        interest_history,
        Security.USER_DATA,
        1,
        (Param("asset"), ISOLATED_SYMBOL, *PAGE),
        "Interest history",
    ),
    Endpoint(
        "GET",
        "/sapi/v1/margin/forceLiquidationRec",
        liquidation_history,
        Security.USER_DATA,
        1,
        (*PAGE, Param("isolatedSymbol")),
        "Force liquidation records",
    ),
]
