"""Check the free quote balance before buying (the API guide's risk-management recipe).

    python examples/balance_checked_buy.py        # embedded simulator; SANDEX_TARGET + keys for testnet/live

A buy of ``amount`` at ``price`` needs ``amount * price`` of the quote currency free (Binance takes
a buy's fee from the base currency received). The check refuses with ``ccxt.InsufficientFunds``,
the class the exchange itself would raise, so callers handle one exception either way.
"""

import math
import os

import ccxt

import client

SYMBOL = "BTC/USDT"
NOTIONAL = 10.0  # USDT per order: above Binance's 5 USDT minimum (the NOTIONAL filter)


def credential() -> client.Credential:
    if "BINANCE_API_KEY" in os.environ or "BINANCE_SECRET_KEY" in os.environ:
        return client.Credential.from_env("binance")  # target: SANDEX_TARGET, else embedded
    return client.Credential.new(name="binance", apiKey="placeholder-key", secret="placeholder-secret")


def safe_buy(cred: client.Credential, symbol: str, amount: float, price: float) -> dict:
    """A limit buy, sent only when the free quote balance covers it."""
    quote = symbol.split("/")[1]
    required = amount * price
    available = client.fetch_balance(cred).get(quote, {}).get("free") or 0.0
    if available < required:
        raise ccxt.InsufficientFunds(f"{quote}: {required:.2f} required, {available:.2f} free")
    return client.create_limit_buy_order(cred, symbol, amount, price)


def main() -> None:
    cred = credential()
    ask = client.fetch_order_book(cred, SYMBOL, 5)["asks"][0][0]
    price = round(ask * 1.001, 2)  # a marketable limit: fills at the best asks, but never 0.1% above this one
    amount = math.ceil(NOTIONAL / ask * 1e5) / 1e5  # 10 USDT worth, rounded up to the 0.00001 BTC lot

    order = safe_buy(cred, SYMBOL, amount, price)
    print(
        f"bought: order {order['id']} {order['status']}, {order['filled']} of {amount} BTC"
        f" at {order['average'] or order['price']}"
    )
    if order["status"] == "open":  # the asks moved up before the order arrived: do not leave it behind
        client.cancel_order(cred, order["id"], SYMBOL)
        print("  the rest canceled")

    free_usdt = client.fetch_balance(cred)["USDT"]["free"]
    too_much = math.ceil(2 * free_usdt / ask * 1e5) / 1e5  # twice what the balance can pay for
    try:
        safe_buy(cred, SYMBOL, too_much, price)
    except ccxt.InsufficientFunds as e:
        print(f"refused before sending: {e}")


if __name__ == "__main__":
    main()
