"""Unmodified ccxt.binance (sync and async, default options) converting through sandex's Convert
endpoints against the shared static book (BTC around 90000). Expiry is covered by the desk's own
tests with a manual clock: this server runs on the wall clock."""

from __future__ import annotations

import time
from decimal import Decimal

import ccxt
import pytest

from .conftest import binance, call, new_account, run_scenario

D = Decimal


def free(balance: dict, code: str) -> Decimal:
    return D(str(balance[code]["free"]))


async def _scenario(ex) -> None:
    await call(ex, "load_markets")
    before = await call(ex, "fetch_balance")

    quote = await call(ex, "fetch_convert_quote", "BTC", "USDT", 0.01)
    assert quote["fromCurrency"] == "BTC" and quote["toCurrency"] == "USDT"
    assert D(str(quote["fromAmount"])) == D("0.01")
    assert D(str(quote["toAmount"])) == D("899.1")  # mid 90000 less the 0.1% spread
    assert quote["info"]["ratio"] == "89910.00000000" and quote["timestamp"] > time.time() * 1000

    trade = await call(ex, "create_convert_trade", quote["id"], "BTC", "USDT", 0.01)
    assert trade["id"] and trade["info"]["orderStatus"] == "SUCCESS"
    after = await call(ex, "fetch_balance")
    assert free(after, "BTC") == free(before, "BTC") - D("0.01")
    assert free(after, "USDT") == free(before, "USDT") + D("899.1")

    fetched = await call(ex, "fetch_convert_trade", trade["id"])
    assert fetched["id"] == trade["id"] and fetched["timestamp"] == trade["timestamp"]
    assert (fetched["fromCurrency"], fetched["toCurrency"]) == ("BTC", "USDT")
    assert (D(str(fetched["fromAmount"])), D(str(fetched["toAmount"]))) == (D("0.01"), D("899.1"))

    history = await call(ex, "fetch_convert_trade_history", "BTC")
    assert [h["id"] for h in history] == [trade["id"]]
    assert D(str(history[0]["toAmount"])) == D("899.1")

    with pytest.raises(ccxt.ExchangeError):  # a quote converts once
        await call(ex, "create_convert_trade", quote["id"], "BTC", "USDT", 0.01)
    assert free(await call(ex, "fetch_balance"), "BTC") == free(after, "BTC")


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_quote_convert_and_history(server, use_async: bool) -> None:
    run_scenario(server, _scenario, use_async)


def test_insufficient_funds_raise_and_change_nothing(server) -> None:
    acct = new_account(server, {"USDT": "100"})
    ex = binance(server.url, acct["apiKey"], acct["secret"])
    ex.load_markets()
    before = ex.fetch_balance()
    quote = ex.fetch_convert_quote("USDT", "BTC", 150)  # quoting does not need the funds
    with pytest.raises(ccxt.InsufficientFunds):
        ex.create_convert_trade(quote["id"], "USDT", "BTC", 150)
    after = ex.fetch_balance()
    assert (free(after, "USDT"), free(after, "BTC")) == (free(before, "USDT"), free(before, "BTC"))
    assert ex.fetch_convert_trade_history("USDT") == []
    with pytest.raises(ccxt.OrderNotFound):
        ex.fetch_convert_trade("123456789")


def test_refusals_map_to_ccxt_errors(server) -> None:
    acct = new_account(server)
    ex = binance(server.url, acct["apiKey"], acct["secret"])
    ex.load_markets()
    with pytest.raises(ccxt.BadRequest, match="No direct market"):
        ex.fetch_convert_quote("BNB", "SOL", 1)
    with pytest.raises(ccxt.BadRequest, match="Unknown quoteId"):
        ex.create_convert_trade("not-a-quote", "BTC", "USDT", 0.01)
    other = new_account(server)
    quote = binance(server.url, other["apiKey"], other["secret"]).fetch_convert_quote("ETH", "USDT", 1)
    with pytest.raises(ccxt.BadRequest, match="Unknown quoteId"):  # someone else's quote
        ex.create_convert_trade(quote["id"], "ETH", "USDT", 1)


def test_convert_currencies_and_pairs(server) -> None:
    acct = new_account(server)
    ex = binance(server.url, acct["apiKey"], acct["secret"])
    currencies = ex.fetch_convert_currencies()
    assert set(currencies) == {"BTC", "USDT", "ETH", "BNB", "SOL"}
    assert currencies["BTC"]["precision"] == 1e-08
    pairs = ex.sapi_get_convert_exchangeinfo({"fromAsset": "BTC"})
    assert {p["toAsset"] for p in pairs} == {"USDT", "ETH"}
    assert pairs[0]["fromAssetMinAmount"] == "0.00000001"
    to_amount = ex.sapi_post_convert_getquote(
        {"fromAsset": "USDT", "toAsset": "ETH", "toAmount": "2", "validTime": "2m"}
    )
    assert to_amount["toAmount"] == "2.00000000" and to_amount["fromAmount"] == "6006.00000000"
