"""Unmodified ccxt.binance (sync and async, default options) moving funds between the spot, cross
and isolated wallets, borrowing, repaying, and reading rates, interest and liquidations through
sandex's margin endpoints, against the shared static book (BTC at 90000).

This server runs on the wall clock, and interest is charged at every xx:00: where a test could
straddle an hour, it compares the debt with the interest sandex reports charging (each charge also
checked against the hour rule) rather than with a count of hours.
"""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from .conftest import call, run_scenario

D = Decimal
USDT_500_HOUR = D("0.00416667")  # ceil(500 x 0.0002 / 24) at 8 decimals
BTC_0_001_HOUR = D("0.00000001")  # ceil(0.001 x 0.00005 / 24) at 8 decimals
MARGIN_PAIRS = ["BNB/USDT", "BTC/USDT", "ETH/BTC", "ETH/USDT", "SOL/USDT"]


def _num(value) -> Decimal:
    return D(str(value))


async def _interest(ex, code: str, symbol: str | None = None) -> list[dict]:
    return await call(ex, "fetch_borrow_interest", code, symbol)


async def _debt_and_interest(ex, code: str, params: dict, symbol: str | None = None) -> tuple[dict, Decimal]:
    """A margin balance of ``code`` and the interest charged on it so far, read on the same side of an hour."""
    while True:
        charged = await _interest(ex, code, symbol)
        balance = await call(ex, "fetch_balance", params)
        if len(await _interest(ex, code, symbol)) == len(charged):
            return balance[code], sum((_num(i["interest"]) for i in charged), D(0))


async def _cross(ex) -> None:
    """Spot -> cross, borrow, repay (interest first), cross -> spot."""
    empty = await call(ex, "fetch_balance", {"type": "margin"})
    assert {code: (_num(empty[code]["total"]), _num(empty[code]["debt"])) for code in ("BTC", "USDT", "ETH")} == {
        "BTC": (0, 0),
        "USDT": (0, 0),
        "ETH": (0, 0),
    }
    moved = await call(ex, "transfer", "USDT", 1000, "spot", "margin")
    assert moved["id"] and moved["currency"] == "USDT"
    loan = await call(ex, "borrow_cross_margin", "USDT", 500)
    assert loan["id"] and loan["currency"] == "USDT"

    usdt, interest = await _debt_and_interest(ex, "USDT", {"type": "margin"})
    assert (_num(usdt["free"]), _num(usdt["used"]), _num(usdt["total"])) == (1500, 0, 1500)
    assert _num(usdt["debt"]) == 500 + interest
    charged = await _interest(ex, "USDT")
    assert charged[-1]["info"]["type"] == "ON_BORROW"
    assert all(_num(c["interest"]) == USDT_500_HOUR for c in charged)
    assert all(
        c["marginMode"] == "cross"
        and c["symbol"] is None
        and _num(c["amountBorrowed"]) == 500
        and _num(c["interestRate"]) == D("0.0002")
        for c in charged
    )

    await call(ex, "repay_cross_margin", "USDT", 200)  # pays the interest, then principal
    usdt, interest = await _debt_and_interest(ex, "USDT", {"marginMode": "cross"})
    assert _num(usdt["free"]) == 1300 and _num(usdt["debt"]) == 300 + interest
    repaid = (await call(ex, "sapi_get_margin_borrow_repay", {"type": "REPAY"}))["rows"]  # implicit API
    assert len(repaid) == 1 and _num(repaid[0]["principal"]) + _num(repaid[0]["interest"]) == 200
    assert _num(repaid[0]["interest"]) % USDT_500_HOUR == 0 and _num(repaid[0]["interest"]) > 0

    await call(ex, "transfer", "USDT", 100, "margin", "spot")
    assert _num((await call(ex, "fetch_balance", {"type": "margin"}))["USDT"]["free"]) == 1200
    history = await call(ex, "fetch_transfers", "USDT", None, None, {"type": "MAIN_MARGIN"})
    assert [(t["amount"], t["fromAccount"], t["toAccount"], t["status"]) for t in history] == [
        (1000.0, "spot", "margin", "ok")
    ]


async def _isolated(ex) -> None:
    """Spot -> isolated BTC/USDT, borrow BTC there, repay part, isolated -> spot."""
    await call(ex, "transfer", "USDT", 300, "spot", "isolated", {"symbol": "BTC/USDT"})
    await call(ex, "borrow_isolated_margin", "BTC/USDT", "BTC", 0.001)
    params = {"marginMode": "isolated"}
    btc, interest = await _debt_and_interest(ex, "BTC", params, "BTC/USDT")
    balance = await call(ex, "fetch_balance", params)
    assert (_num(balance["USDT"]["free"]), _num(btc["free"])) == (300, D("0.001"))
    assert _num(btc["debt"]) == D("0.001") + interest and interest >= BTC_0_001_HOUR
    charged = await _interest(ex, "BTC", "BTC/USDT")
    assert all(
        c["marginMode"] == "isolated"
        and c["symbol"] == "BTCUSDT"  # ccxt keeps Binance's raw id here
        and _num(c["interest"]) == BTC_0_001_HOUR
        for c in charged
    )

    await call(ex, "repay_isolated_margin", "BTC/USDT", "BTC", 0.0005)
    btc, interest = await _debt_and_interest(ex, "BTC", params, "BTC/USDT")
    assert _num(btc["free"]) == D("0.0005") and _num(btc["debt"]) == D("0.0005") + interest
    await call(ex, "transfer", "USDT", 50, "isolated", "spot", {"symbol": "BTC/USDT"})
    assert _num((await call(ex, "fetch_balance", params))["USDT"]["free"]) == 250


async def _rates_and_records(ex) -> None:
    rate = await call(ex, "fetch_cross_borrow_rate", "BTC")
    assert (rate["currency"], _num(rate["rate"]), rate["period"]) == ("BTC", D("0.00005"), 86_400_000)
    assert rate["timestamp"] % 86_400_000 == 0  # one entry per UTC day, at midnight
    pair = await call(ex, "fetch_isolated_borrow_rate", "BTC/USDT")
    assert (pair["symbol"], pair["base"], _num(pair["baseRate"]), pair["quote"], _num(pair["quoteRate"])) == (
        "BTC/USDT",
        "BTC",
        D("0.00005"),
        "USDT",
        D("0.0002"),
    )
    every = await call(ex, "fetch_isolated_borrow_rates")
    assert sorted(every) == MARGIN_PAIRS and _num(every["ETH/BTC"]["quoteRate"]) == D("0.00005")
    assert await call(ex, "fetch_my_liquidations") == []
    assert await call(ex, "fetch_my_liquidations", "BTC/USDT") == []


async def _refusals(ex) -> None:
    """Refused requests raise ccxt's class for Binance's code or text, and move nothing."""
    before = await call(ex, "fetch_balance", {"type": "margin"})
    with pytest.raises(ccxt.InsufficientFunds):
        await call(ex, "transfer", "USDT", 10**7, "spot", "margin")
    with pytest.raises(ccxt.InsufficientFunds):  # cross holds 1200 USDT
        await call(ex, "transfer", "USDT", 5000, "margin", "spot")
    with pytest.raises(ccxt.InsufficientFunds):  # 0.0005 BTC free against a little more owed
        await call(ex, "repay_isolated_margin", "BTC/USDT", "BTC", 0.00050001)
    for request in (("borrow_cross_margin", "USDT", 10**6), ("repay_cross_margin", "USDT", 1000)):
        with pytest.raises(ccxt.ExchangeError) as info:  # -3006 / -3015: no subclass against a local URL
            await call(ex, *request)
        assert type(info.value) is ccxt.ExchangeError
    after = await call(ex, "fetch_balance", {"type": "margin"})
    assert {c: (after[c]["free"], after[c]["used"]) for c in ("BTC", "USDT")} == {
        c: (before[c]["free"], before[c]["used"]) for c in ("BTC", "USDT")
    }


async def _scenario(ex) -> None:
    await call(ex, "load_markets")
    spot = await call(ex, "fetch_balance")
    await _cross(ex)
    await _isolated(ex)
    await _rates_and_records(ex)
    await _refusals(ex)
    spot_after = await call(ex, "fetch_balance")
    assert _num(spot_after["USDT"]["free"]) == _num(spot["USDT"]["free"]) - 1000 + 100 - 300 + 50


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_margin_wallets_loans_and_rates(server, use_async: bool) -> None:
    run_scenario(server, _scenario, use_async)
