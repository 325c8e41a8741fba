"""Polling several markets within rate limits: ccxt's built-in limiter plus a small token bucket.

    python examples/rate_limited_loop.py          # embedded simulator; SANDEX_TARGET + keys for testnet/live

Two layers:
1. ccxt's own limiter. The client builds every ccxt instance with ``enableRateLimit=True``, so ccxt
   spaces requests by the exchange's ``rateLimit`` (50 ms for Binance) times each endpoint's cost.
   It keeps one instance under the exchange's limit; it knows nothing of your other processes.
2. A token bucket of your own: a budget for this loop (here 5 calls a second, bursts of 2), so a
   polling loop leaves room for the calls that matter (orders, cancels).
If the exchange still refuses (HTTP 429/418: ccxt raises DDoSProtection; RateLimitExceeded for the
same Binance codes without the status), back off and retry.
"""

import os
import time

import ccxt

import client

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"]
ROUNDS = 2


def credential() -> client.Credential:
    if "BINANCE_API_KEY" in os.environ or "BINANCE_SECRET_KEY" in os.environ:
        return client.Credential.from_env("binance")  # target: SANDEX_TARGET, else embedded
    return client.Credential.new(name="binance", apiKey="placeholder-key", secret="placeholder-secret")


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up; ``take()`` waits for one."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            time.sleep((1 - self.tokens) / self.rate)
            self.stamp = time.monotonic()
            self.tokens = 1
        self.tokens -= 1


def limited(bucket: TokenBucket, call, *args, retries: int = 3):
    """``call(*args)`` within the bucket; on the exchange's rate-limit refusal, back off and retry."""
    for attempt in range(retries + 1):
        bucket.take()
        try:
            return call(*args)
        except (ccxt.DDoSProtection, ccxt.RateLimitExceeded) as e:  # siblings under NetworkError
            if attempt == retries:
                raise
            wait = 2**attempt  # Binance's Retry-After is a header ccxt's exception does not carry: double
            print(f"  rate limited ({type(e).__name__}), retrying in {wait} s")
            time.sleep(wait)


def main() -> None:
    cred = credential()
    bucket = TokenBucket(rate=5, capacity=2)
    start, calls = time.monotonic(), 0
    for round_no in range(1, ROUNDS + 1):
        for symbol in SYMBOLS:
            orders = limited(bucket, client.fetch_open_orders, cred, symbol)
            calls += 1
            print(f"round {round_no} {symbol}: {len(orders)} open order(s)")
    elapsed = time.monotonic() - start
    print(f"{calls} calls in {elapsed:.1f} s ({calls / elapsed:.1f} calls/s, budget 5/s)")


if __name__ == "__main__":
    main()
