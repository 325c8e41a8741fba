"""A simple market maker: the same file backtests and trades live.

Each candle it cancels its quotes and puts up a bid ``spread_bps`` under the close and an ask as
far over it, ``size`` of the base asset each, skipping the bid once it holds ``max_position`` and
the ask while it holds nothing to sell. Its fills come from takers crossing its quotes, in their
queue turn, so the backtest shows what the spread earns against the inventory it carries.

    sandex backtest examples/market_maker.py --out report/            # over the sample day
    sandex run examples/market_maker.py --target http://127.0.0.1:8765 # against sandex serve
"""

from __future__ import annotations

import client

TIMEFRAME = "1m"
PARAMS = {"spread_bps": 5, "size": 0.002, "max_position": 0.01}


class Strategy:
    def __init__(self, credential, symbol, spread_bps, size, max_position):
        self.credential, self.symbol = credential, symbol
        self.spread, self.size, self.max_position = spread_bps / 10_000, size, max_position
        self.base, self.quote = symbol.split("/")

    def on_candle(self, candle):
        self.cancel_quotes()
        balance = client.fetch_balance(self.credential)
        close = candle[4]
        held, cash = balance[self.base]["free"], balance[self.quote]["free"]
        bid, ask = close * (1 - self.spread), close * (1 + self.spread)
        if held < self.max_position and cash >= self.size * bid:
            client.create_limit_buy_order(self.credential, self.symbol, self.size, bid)
        if held >= self.size:
            client.create_limit_sell_order(self.credential, self.symbol, self.size, ask)

    def cancel_quotes(self):
        for order in client.fetch_open_orders(self.credential, self.symbol):
            client.cancel_order(self.credential, order["id"], self.symbol)

    def on_stop(self):
        self.cancel_quotes()
