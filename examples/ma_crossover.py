"""A moving-average crossover with limit orders: the same file backtests and trades live.

When the fast average of closes crosses above the slow one, buy ``fraction`` of the quote balance
with a limit order a little under the close; when it crosses below, sell the whole position with a
limit order a little over it. An order not filled by the next signal is cancelled first.

    sandex backtest examples/ma_crossover.py --out report/            # over the sample day
    sandex run examples/ma_crossover.py --target http://127.0.0.1:8765 # against sandex serve
"""

from __future__ import annotations

from collections import deque

import client

TIMEFRAME = "1m"
PARAMS = {"fast": 5, "slow": 20, "fraction": 0.5, "offset_bps": 2}


class Strategy:
    def __init__(self, credential, symbol, fast, slow, fraction, offset_bps):
        if not 0 < fast < slow:
            raise ValueError(f"need 0 < fast < slow, got fast={fast}, slow={slow}")
        self.credential, self.symbol = credential, symbol
        self.fast, self.slow, self.fraction, self.offset = fast, slow, fraction, offset_bps / 10_000
        self.closes: deque[float] = deque(maxlen=slow)
        self.above: bool | None = None  # was the fast average above the slow one at the last candle
        self.base, self.quote = symbol.split("/")

    def on_candle(self, candle):
        self.closes.append(candle[4])
        if len(self.closes) < self.slow:
            return
        closes = list(self.closes)
        above = sum(closes[-self.fast :]) / self.fast > sum(closes) / self.slow
        crossed = self.above is not None and above != self.above
        self.above = above
        if not crossed:
            return
        for order in client.fetch_open_orders(self.credential, self.symbol):
            client.cancel_order(self.credential, order["id"], self.symbol)
        balance = client.fetch_balance(self.credential)
        close = candle[4]
        if above:
            amount = balance[self.quote]["free"] * self.fraction / close
            self._place("buy", amount, close * (1 - self.offset))
        else:
            self._place("sell", balance[self.base]["free"], close * (1 + self.offset))

    def _place(self, side, amount, price):
        market = client.load_markets(self.credential)[self.symbol]
        if amount < market["limits"]["amount"]["min"] or amount * price < market["limits"]["cost"]["min"]:
            return  # too small to be an order on this market
        create = client.create_limit_buy_order if side == "buy" else client.create_limit_sell_order
        create(self.credential, self.symbol, amount, price)

    def on_stop(self):
        for order in client.fetch_open_orders(self.credential, self.symbol):
            client.cancel_order(self.credential, order["id"], self.symbol)
