"""Error handling: the API guide's error-handling example in Python, with ccxt's exception classes.

    python examples/error_handling.py             # embedded simulator; SANDEX_TARGET + keys for testnet/live

The client passes ccxt's exceptions through unchanged, and sandex answers with Binance's codes
and texts, so the classes below are the ones Binance gives. Catch the most specific first: several
are subclasses of others (AuthenticationError, InsufficientFunds, InvalidOrder, BadRequest and
MarketClosed are ExchangeErrors; DDoSProtection, RateLimitExceeded and InvalidNonce are
NetworkErrors, and NetworkError is an OperationFailed). Each refusal below is deliberate; none
of them changes the account.
"""

import os

import ccxt

import client

SYMBOL = "BTC/USDT"


def credential() -> client.Credential:
    if "BINANCE_API_KEY" in os.environ or "BINANCE_SECRET_KEY" in os.environ:
        return client.Credential.from_env("binance")  # target: SANDEX_TARGET, else embedded
    return client.Credential.new(name="binance", apiKey="placeholder-key", secret="placeholder-secret")


def attempt(label: str, call):
    """Run ``call()``; on a refusal, say which category it is (authentication, trading,
    rate limiting, network) and what to do."""
    try:
        result = call()
    # -- authentication
    except ccxt.AuthenticationError as e:  # bad key or signature, key without the permission, revoked key
        print(f"{label}: authentication: check the API key, secret and permissions [{type(e).__name__}]")
    # -- trading
    except ccxt.InsufficientFunds as e:
        print(f"{label}: trading: insufficient balance to place order [{type(e).__name__}]")
    except ccxt.InvalidOrder as e:  # includes OrderNotFound and OrderImmediatelyFillable
        if "PRICE_FILTER" in str(e):
            why = "price doesn't meet exchange requirements (PRICE_FILTER: tick size, min/max price)"
        elif "LOT_SIZE" in str(e):
            why = "order size doesn't meet requirements (LOT_SIZE: step, min/max quantity)"
        elif isinstance(e, ccxt.OrderNotFound):
            why = "no such open order (filled, canceled, or someone else's)"
        else:
            why = f"order refused: {e}"
        print(f"{label}: trading: {why} [{type(e).__name__}]")
    except ccxt.MarketClosed as e:
        print(f"{label}: trading: market closed (halted or in a break) [{type(e).__name__}]")
    except ccxt.BadRequest as e:  # the NOTIONAL minimum, MAX_NUM_ORDERS, a bad parameter or symbol
        why = "order value under the minimum (NOTIONAL: 5 USDT on BTC/USDT)" if "NOTIONAL" in str(e) else str(e)
        print(f"{label}: trading: {why} [{type(e).__name__}]")
    # -- rate limiting (see rate_limited_loop.py)
    except (ccxt.DDoSProtection, ccxt.RateLimitExceeded) as e:  # HTTP 429/418, Binance -1003/-1015
        print(f"{label}: rate limiting: too many requests or orders; back off [{type(e).__name__}]")
    except ccxt.InvalidNonce as e:  # -1021: this machine's clock is off from the exchange's
        print(f"{label}: clock: sync this machine's clock (NTP) [{type(e).__name__}]")
    # -- network
    except ccxt.NetworkError as e:  # unreachable, timed out, exchange unavailable
        print(
            f"{label}: network: retry later; an order may have been placed, so look it up by "
            f"its clientOrderId before sending it again [{type(e).__name__}]"
        )
    except ccxt.OperationFailed as e:  # -1000 "An unknown error occurred...": failed, not refused
        print(f"{label}: exchange failure: retry later, checking first as for a network error [{type(e).__name__}]")
    except ccxt.ExchangeError as e:  # anything else the exchange refused
        print(f"{label}: refused: {e} [{type(e).__name__}]")
    else:
        print(f"{label}: ok")
        return result
    return None


def main() -> None:
    cred = credential()
    bid = client.fetch_order_book(cred, SYMBOL, 5)["bids"][0][0]
    low = round(bid * 0.5, 2)  # half the market: a buy there rests and does not fill
    free_usdt = client.fetch_balance(cred)["USDT"]["free"]

    order = attempt(
        "limit buy 0.001 BTC at half the market", lambda: client.create_limit_buy_order(cred, SYMBOL, 0.001, low)
    )
    too_much = round(2 * free_usdt / low, 5)  # twice what the free USDT pays for
    attempt(f"limit buy {too_much} BTC", lambda: client.create_limit_buy_order(cred, SYMBOL, too_much, low))
    attempt("price above the maximum", lambda: client.create_limit_buy_order(cred, SYMBOL, 0.00001, 1_000_001))
    attempt("9001 BTC (LOT_SIZE max 9000)", lambda: client.create_limit_buy_order(cred, SYMBOL, 9001, low))
    attempt("0.00001 BTC (under 5 USDT)", lambda: client.create_limit_buy_order(cred, SYMBOL, 0.00001, low))
    if order is not None:
        attempt("cancel the order", lambda: client.cancel_order(cred, order["id"], SYMBOL))
        attempt("cancel it again", lambda: client.cancel_order(cred, order["id"], SYMBOL))

    wrong = client.Credential.new(name="binance", apiKey=cred.api_key, secret="not-the-secret", target=cred.target)
    attempt("a wrong secret", lambda: client.fetch_balance(wrong))
    nowhere = client.Credential.new(
        name="binance", apiKey="placeholder-key", secret="placeholder-secret", target="http://127.0.0.1:9"
    )  # nothing listens there
    attempt("an unreachable server", lambda: client.fetch_balance(nowhere))


if __name__ == "__main__":
    main()
