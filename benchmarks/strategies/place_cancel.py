"""The benchmark's strategy: each candle, a limit buy far under the market, then its cancel."""

import client

TIMEFRAME = "1s"
PARAMS = {"act": True}


class Strategy:
    def __init__(self, credential, symbol, act):
        self.credential, self.symbol, self.act = credential, symbol, act

    def on_candle(self, candle):
        if self.act:
            order = client.create_limit_buy_order(self.credential, self.symbol, 0.001, round(candle[4] * 0.9, 2))
            client.cancel_order(self.credential, order["id"], self.symbol)
