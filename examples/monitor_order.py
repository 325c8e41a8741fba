"""Place a limit order and watch it: poll until it fills, or cancel it after a timeout.

    python examples/monitor_order.py              # embedded simulator; SANDEX_TARGET + keys for testnet/live

The order joins the best bid, so it fills only when sellers reach it (on the embedded simulator:
its synthetic takers). Either outcome is handled, including a fill that races the cancel.
"""

import contextlib
import math
import os
import time

import ccxt

import client

SYMBOL = "BTC/USDT"
NOTIONAL = 10.0  # USDT per order: above Binance's 5 USDT minimum
TIMEOUT = 5.0  # seconds to wait for a fill before canceling
POLL = 1.0  # seconds between polls (fetch_order weighs 4 of Binance's 6000 a minute)


def credential() -> client.Credential:
    if "BINANCE_API_KEY" in os.environ or "BINANCE_SECRET_KEY" in os.environ:
        return client.Credential.from_env("binance")  # target: SANDEX_TARGET, else embedded
    return client.Credential.new(name="binance", apiKey="placeholder-key", secret="placeholder-secret")


def monitor(cred: client.Credential, order_id: str, symbol: str, timeout: float, poll: float) -> dict:
    """Poll the order until it is no longer open; past ``timeout``, cancel it. Returns its final state."""
    deadline = time.monotonic() + timeout
    while True:
        order = client.fetch_order(cred, order_id, symbol)
        if order["status"] != "open":  # closed (filled), canceled, expired or rejected
            return order
        if time.monotonic() >= deadline:
            with contextlib.suppress(ccxt.OrderNotFound):  # it filled between the poll and the cancel
                client.cancel_order(cred, order_id, symbol)
            return client.fetch_order(cred, order_id, symbol)
        print(f"  open, {order['filled']} of {order['amount']} filled")
        time.sleep(poll)


def main(timeout: float = TIMEOUT, poll: float = POLL) -> None:
    cred = credential()
    bid = client.fetch_order_book(cred, SYMBOL, 5)["bids"][0][0]
    amount = math.ceil(NOTIONAL / bid * 1e5) / 1e5  # 10 USDT worth, rounded up to the 0.00001 BTC lot
    order = client.create_limit_buy_order(cred, SYMBOL, amount, bid)
    print(f"placed order {order['id']}: buy {amount} BTC at {bid}, waiting up to {timeout:.0f} s")
    final = monitor(cred, order["id"], SYMBOL, timeout, poll)
    outcome = "filled" if final["status"] == "closed" else final["status"]
    print(f"order {final['id']} {outcome}: {final['filled']} of {final['amount']} BTC filled")


if __name__ == "__main__":
    main()
