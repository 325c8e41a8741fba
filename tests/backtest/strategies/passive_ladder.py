"""A test strategy trading only with resting limit orders away from the market, so every fill it
gets is history's: a taker of the replayed data crossing its price in its queue turn."""

import client

TIMEFRAME = "1m"
PARAMS = {"distance_bps": 3, "size": 0.003, "every": 5}


class Strategy:
    def __init__(self, credential, symbol, distance_bps, size, every):
        self.credential, self.symbol = credential, symbol
        self.distance, self.size, self.every = distance_bps / 10_000, size, every
        self.candles = 0

    def on_candle(self, candle):
        self.candles += 1
        if self.candles % self.every:
            return
        for order in client.fetch_open_orders(self.credential, self.symbol):
            client.cancel_order(self.credential, order["id"], self.symbol)
        book = client.fetch_order_book(self.credential, self.symbol, 5)
        bid, ask = book["bids"][0][0], book["asks"][0][0]
        client.create_limit_buy_order(self.credential, self.symbol, self.size, round(bid * (1 - self.distance), 2))
        client.create_limit_sell_order(self.credential, self.symbol, self.size, round(ask * (1 + self.distance), 2))
