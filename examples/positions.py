"""Positions from the spot balance, and closing one with a market sell (the API guide's recipe).

    python examples/positions.py                  # embedded simulator: lists, then closes the BTC position
    python examples/positions.py --close          # on live, closing must be asked for

On spot, a "position" is a non-zero balance; closing it sells what is free into the quote currency.
"""

import os
import sys

import ccxt

import client

CLOSE, QUOTE = "BTC", "USDT"


def credential() -> client.Credential:
    if "BINANCE_API_KEY" in os.environ or "BINANCE_SECRET_KEY" in os.environ:
        return client.Credential.from_env("binance")  # target: SANDEX_TARGET, else embedded
    return client.Credential.new(name="binance", apiKey="placeholder-key", secret="placeholder-secret")


def get_positions(cred: client.Credential) -> dict[str, dict]:
    """Every currency with a non-zero total: {"BTC": {"free": ..., "used": ..., "total": ...}, ...}."""
    balance = client.fetch_balance(cred)
    return {code: balance[code] for code, total in balance["total"].items() if total}


def close_position(cred: client.Credential, currency: str, quote: str) -> dict:
    """Sell the free amount of ``currency`` at market (ccxt rounds it down to the lot size)."""
    amount = get_positions(cred).get(currency, {}).get("free") or 0.0
    if amount <= 0:
        raise ccxt.InsufficientFunds(f"no free {currency} to sell")
    return client.create_market_sell_order(cred, f"{currency}/{quote}", amount)


def main() -> None:
    cred = credential()
    positions = get_positions(cred)
    for code, bal in sorted(positions.items()):
        print(f"{code:>6} free {bal['free']:<16} used {bal['used']:<12} total {bal['total']}")

    if client.resolve(cred.target).kind == "live" and "--close" not in sys.argv:
        print(f"live: not selling your {CLOSE}; run with --close to close the position")
        return
    try:
        order = close_position(cred, CLOSE, QUOTE)
    except (ccxt.InvalidOrder, ccxt.BadRequest, ccxt.InsufficientFunds) as e:  # dust under the lot or notional
        print(f"{CLOSE} position not closed: {type(e).__name__}: {e}")
        return
    print(
        f"close {CLOSE}: sold {order['filled']} of {order['amount']} at {order['average']:.2f} on average"
        f" ({order['cost']:.2f} {QUOTE}), order {order['status']}"
    )
    if order["filled"] < order["amount"]:  # a market order takes what the book holds; the rest expires
        print("  the book was too thin for all of it: the rest is still held (sell it in slices, or as limits)")
    after = get_positions(cred)
    print(f"now {CLOSE} {after.get(CLOSE, {}).get('total', 0.0)}, {QUOTE} {after[QUOTE]['total']}")


if __name__ == "__main__":
    main()
