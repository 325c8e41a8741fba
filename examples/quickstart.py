"""Quickstart: a balance, a limit order, the open orders, a cancel.

    python examples/quickstart.py                                  # the embedded simulator, no keys
    BINANCE_API_KEY=... BINANCE_SECRET_KEY=... SANDEX_TARGET=testnet python examples/quickstart.py

Without BINANCE_API_KEY/BINANCE_SECRET_KEY it uses placeholder keys, which the embedded simulator
(the default target) opens and funds on first use: 100000 USDT, 1 BTC...
"""

import os

import client


def main() -> None:
    if "BINANCE_API_KEY" in os.environ or "BINANCE_SECRET_KEY" in os.environ:
        cred = client.Credential.from_env("binance")  # your keys; the target is SANDEX_TARGET (default: embedded)
    else:  # no keys: placeholders, funded on first use by the embedded simulator
        cred = client.Credential.new(name="binance", apiKey="placeholder-key", secret="placeholder-secret")
    print("USDT:", client.fetch_balance(cred)["USDT"])
    bid = client.fetch_order_book(cred, "BTC/USDT", 5)["bids"][0][0]
    order = client.create_limit_buy_order(cred, "BTC/USDT", 0.0001, round(bid * 0.9, 2))  # ~8 USDT, 10% below
    print("placed", order["id"], order["status"], order["amount"], "BTC at", order["price"])
    print(len(client.fetch_open_orders(cred, "BTC/USDT")), "open order(s)")
    print("canceled:", client.cancel_order(cred, order["id"], "BTC/USDT")["status"])


if __name__ == "__main__":
    main()
