"""A test strategy placing two buy orders at one price, a candle apart: the first must fill first."""

import client

TIMEFRAME = "1m"
PARAMS = {"below_bps": 10, "size": 0.02}


class Strategy:
    def __init__(self, credential, symbol, below_bps, size):
        self.credential, self.symbol, self.below, self.size = credential, symbol, below_bps / 10_000, size
        self.price = None

    def on_candle(self, candle):
        if self.price is None:
            self.price = round(candle[4] * (1 - self.below), 2)
        if len(client.fetch_orders(self.credential, self.symbol)) < 2:
            client.create_limit_buy_order(self.credential, self.symbol, self.size, self.price)
